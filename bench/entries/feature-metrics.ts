// The middleware-only handler with `onOutcome: emfMetrics(...)`.
import middy from '@middy/core';
import { DynamoDBStore, emfMetrics, idempotency } from '../../lambda/index.js';

/** Bundled by the benchmark: what using metrics adds to the middleware-only handler. */
export const handler = middy(async (event: { paymentId: string }) => ({ paymentId: event.paymentId })).use(
  idempotency<{ paymentId: string }>({
    store: new DynamoDBStore({ tableName: 'bench' }),
    key: (event) => event.paymentId,
    onOutcome: emfMetrics({ namespace: 'Bench' }),
  }),
);
