import { WebhookVerificationError } from './errors.js';
import { secretKeys, type WebhookSecret } from './secrets.js';
import { assertFresh, base64Digest, hmacSha256, requiredHeader, signedWithAnyKey, toleranceOption } from './signatures.js';
import type { WebhookVerifier } from './webhook-verifier.js';

/** Options for {@link standardWebhooks}. */
export interface StandardWebhooksOptions {
  /**
   * The endpoint's signing secret as the provider shows it: `whsec_` followed by base64 (the
   * prefix may be left off). Several during a rotation; or a function returning them, called
   * once per cold start.
   */
  readonly secret: WebhookSecret;
  /**
   * How far `webhook-timestamp` may be from the clock, either way, in seconds.
   * @default 300
   */
  readonly toleranceSeconds?: number;
}

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeSecret(text: string): Buffer {
  const encoded = text.startsWith(SECRET_PREFIX) ? text.slice(SECRET_PREFIX.length) : text;
  if (!BASE64.test(encoded)) throw new Error(`is not base64 after its ${SECRET_PREFIX} prefix`);
  return Buffer.from(encoded, 'base64');
}

/** The `v1` signatures of a `webhook-signature` header (`v1,<base64> v1,<base64> …`); other versions are skipped, as the spec says. */
function v1Signatures(header: string): Buffer[] {
  const signatures: Buffer[] = [];
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const digest = base64Digest(entry.slice(comma + 1));
    if (digest) signatures.push(digest);
  }
  return signatures;
}

/**
 * Verifies [Standard Webhooks](https://www.standardwebhooks.com/) deliveries (Svix, and the
 * providers that adopted the spec): an HMAC-SHA256 over `webhook-id.webhook-timestamp.body`,
 * sent base64 as `v1,<signature>` in the space-separated `webhook-signature` list, and a
 * `webhook-timestamp` within the tolerance. The delivery id is `webhook-id`.
 *
 * Symmetric (`v1`) signatures only: asymmetric `v1a` signatures are skipped like any
 * unknown version, so a delivery signed only with `v1a` is refused.
 *
 * @example
 * export const handler = webhookIdempotency(onEvent, {
 *   store: new DynamoDBStore(),
 *   name: 'billing-events',
 *   verify: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }),
 * });
 */
export function standardWebhooks(options: StandardWebhooksOptions): WebhookVerifier {
  const option = 'standardWebhooks({ secret })';
  const keys = secretKeys(options?.secret, option, decodeSecret);
  const toleranceSeconds = toleranceOption(options.toleranceSeconds, option);
  return {
    provider: 'standard-webhooks',
    async verify(_event, rawBody, header) {
      const id = requiredHeader(header, 'webhook-id');
      const timestamp = requiredHeader(header, 'webhook-timestamp');
      const sent = v1Signatures(requiredHeader(header, 'webhook-signature'));
      if (sent.length === 0) throw new WebhookVerificationError('the webhook-signature header holds no well-formed v1 signature');
      assertFresh(timestamp, 'webhook-timestamp', toleranceSeconds);
      const prefix = `${id}.${timestamp}.`;
      if (!signedWithAnyKey(await keys(), sent, (key) => hmacSha256(key, prefix, rawBody))) {
        throw new WebhookVerificationError('no v1 signature in webhook-signature matches the request under the configured secret');
      }
      return true;
    },
    deliveryId: (_event, _rawBody, header) => header('webhook-id')?.trim(),
  };
}
