import { describeStoreContract } from '../../contract/store-contract.js';
import { InMemoryStore } from '../../../lambda/testing/index.js';

// The testing kit's store keeps the same contract as the DynamoDB and Valkey stores, so a
// user's unit test on it means what a DynamoDB Local test would.
describeStoreContract('InMemoryStore', { createStore: () => new InMemoryStore() });
