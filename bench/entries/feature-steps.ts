// The middleware-only handler, with one step() inside.
import middy from '@middy/core';
import { DynamoDBStore, idempotency, step } from '../../lambda/index.js';

/** Bundled by the benchmark: what using steps adds to the middleware-only handler. */
export const handler = middy(async (event: { paymentId: string }, context: { getRemainingTimeInMillis(): number }) => {
  const receipt = await step('charge', (key) => ({ key }), { context });
  return { paymentId: event.paymentId, receipt };
}).use(idempotency<{ paymentId: string }>({ store: new DynamoDBStore({ tableName: 'bench' }), key: (event) => event.paymentId }));
