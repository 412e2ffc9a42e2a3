import { WebhookVerificationError } from './errors.js';
import { secretKeys, type WebhookSecret } from './secrets.js';
import { hexDigest, hmacSha256, requiredHeader, signedWithAnyKey } from './signatures.js';
import type { WebhookVerifier } from './webhook-verifier.js';

/** Options for {@link githubWebhooks}. */
export interface GitHubWebhooksOptions {
  /**
   * The webhook's secret, as typed into its settings. Several during a rotation; or a function
   * returning them, called once per cold start.
   */
  readonly secret: WebhookSecret;
}

const SIGNATURE_HEADER = 'X-Hub-Signature-256';
const SCHEME = 'sha256=';

/**
 * Verifies GitHub webhook deliveries: `X-Hub-Signature-256: sha256=<hex>`, an HMAC-SHA256 of
 * the body under the webhook's secret. The delivery id is `X-GitHub-Delivery`, which a
 * redelivery keeps.
 *
 * GitHub signs no timestamp, so there is no tolerance to check: a captured delivery sent
 * again is answered from the stored response while it is kept (`ttlSeconds`), and runs
 * again after that.
 *
 * @example
 * export const handler = webhookIdempotency(onPush, {
 *   store: new DynamoDBStore(),
 *   name: 'github-push',
 *   verify: githubWebhooks({ secret: process.env.GITHUB_WEBHOOK_SECRET! }),
 * });
 */
export function githubWebhooks(options: GitHubWebhooksOptions): WebhookVerifier {
  const keys = secretKeys(options?.secret, 'githubWebhooks({ secret })', (text) => Buffer.from(text, 'utf8'));
  return {
    provider: 'github',
    async verify(_event, rawBody, header) {
      const signature = requiredHeader(header, SIGNATURE_HEADER);
      const digest = signature.startsWith(SCHEME) ? hexDigest(signature.slice(SCHEME.length)) : undefined;
      if (!digest) throw new WebhookVerificationError(`the ${SIGNATURE_HEADER} header is not sha256=<64 hex digits>`);
      if (!signedWithAnyKey(await keys(), [digest], (key) => hmacSha256(key, '', rawBody))) {
        throw new WebhookVerificationError(`the ${SIGNATURE_HEADER} signature does not match the request under the configured secret`);
      }
      return true;
    },
    deliveryId: (_event, _rawBody, header) => header('X-GitHub-Delivery')?.trim(),
  };
}
