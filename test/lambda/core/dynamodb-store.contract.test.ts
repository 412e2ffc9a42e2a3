import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStore } from '../../../lambda/index.js';
import { describeStoreContract } from '../../contract/store-contract.js';
import { createLocalTable } from '../../support/local-table.js';

describeStoreContract('DynamoDBStore on DynamoDB Local (the store contract)', {
  createStore: async () => (await createLocalTable('contract')).store,
  // Nothing listens on port 1: every request fails to connect, once, at once.
  createUnreachableStore: () =>
    new DynamoDBStore({
      tableName: 'unreachable',
      client: new DynamoDBClient({
        endpoint: 'http://127.0.0.1:1',
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      }),
    }),
});
