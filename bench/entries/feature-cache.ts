// The middleware-only handler with the `cache` option.
import middy from '@middy/core';
import { DynamoDBStore, idempotency, RecordCache } from '../../lambda/index.js';

/** Bundled by the benchmark: what using the record cache adds to the middleware-only handler. */
export const handler = middy(async (event: { paymentId: string }) => ({ paymentId: event.paymentId })).use(
  idempotency<{ paymentId: string }>({
    store: new DynamoDBStore({ tableName: 'bench' }),
    key: (event) => event.paymentId,
    cache: new RecordCache(),
  }),
);
