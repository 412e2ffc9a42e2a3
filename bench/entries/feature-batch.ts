// The middleware-only handler, and beside it an SQS consumer using makeIdempotentBatch().
import { DynamoDBStore, makeIdempotentBatch } from '../../lambda/index.js';

export { handler } from './retry-safe.js';

/** Bundled by the benchmark: what using the batch wrapper adds to the middleware-only handler. */
export const batchHandler = makeIdempotentBatch(async () => undefined, { store: new DynamoDBStore({ tableName: 'bench' }) });
