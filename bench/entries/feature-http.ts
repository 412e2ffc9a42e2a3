// The middleware-only handler, and beside it an HTTP API handler using httpIdempotency().
import middy from '@middy/core';
import { DynamoDBStore, httpIdempotency } from '../../lambda/index.js';

export { handler } from './retry-safe.js';

/** Bundled by the benchmark: what using the HTTP adapter adds to the middleware-only handler. */
export const httpHandler = middy(async () => ({ statusCode: 201, body: '{}' })).use(
  httpIdempotency({ store: new DynamoDBStore({ tableName: 'bench' }), name: 'create-order' }),
);
