// The smallest retry-safe handler without Middy: the plain wrapper and the DynamoDB store.
import { DynamoDBStore, makeIdempotent } from '../../lambda/index.js';

/** Bundled by the benchmark to measure size without the Middy runtime both Middy handlers carry. */
export const handler = makeIdempotent(async (event: { paymentId: string }) => ({ paymentId: event.paymentId }), {
  store: new DynamoDBStore({ tableName: 'bench' }),
  key: (event) => event.paymentId,
});
