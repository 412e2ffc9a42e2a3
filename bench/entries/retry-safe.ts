// The smallest real retry-safe handler: Middy, the core middleware and the DynamoDB store.
import middy from '@middy/core';
import { DynamoDBStore, idempotency } from '../../lambda/index.js';

/** Bundled by the benchmark to measure size and load time. */
export const handler = middy(async (event: { paymentId: string }) => ({ paymentId: event.paymentId })).use(
  idempotency<{ paymentId: string }>({ store: new DynamoDBStore({ tableName: 'bench' }), key: (event) => event.paymentId }),
);
