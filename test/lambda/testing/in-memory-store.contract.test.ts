/**
 * InMemoryStore passes the store contract every store passes (test/contract/), as DynamoDBStore
 * does on DynamoDB Local; its unreachable twin is a FaultyStore timing out every call.
 */
import { describeStoreContract } from '../../contract/store-contract.js';
import { FaultyStore, InMemoryStore, type StoreOperation } from '../../../lambda/testing/index.js';

const EVERY_OPERATION: StoreOperation[] = ['claim', 'complete', 'release', 'readResult', 'readStep', 'startStep', 'recordStep', 'finishStep', 'extendStep'];

describeStoreContract('InMemoryStore (the store contract)', {
  createStore: () => new InMemoryStore(),
  createUnreachableStore: () => {
    const store = new FaultyStore(new InMemoryStore());
    for (const operation of EVERY_OPERATION) store.inject({ operation, kind: 'timeout', times: Number.MAX_SAFE_INTEGER });
    return store;
  },
});
