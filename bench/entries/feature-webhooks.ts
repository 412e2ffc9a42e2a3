// The middleware-only handler, and beside it a webhook receiver with one verifier preset.
import { DynamoDBStore, githubWebhooks, webhookIdempotency } from '../../lambda/index.js';

export { handler } from './retry-safe.js';

/** Bundled by the benchmark: what using the webhook receiver adds to the middleware-only handler. */
export const webhookHandler = webhookIdempotency(async () => ({ statusCode: 204 }), {
  store: new DynamoDBStore({ tableName: 'bench' }),
  name: 'hooks',
  verify: githubWebhooks({ secret: 'bench' }),
});
