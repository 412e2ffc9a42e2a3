import { WebhookVerificationError } from './errors.js';
import { secretKeys, type WebhookSecret } from './secrets.js';
import { assertFresh, hexDigest, hmacSha256, requiredHeader, signedWithAnyKey, toleranceOption } from './signatures.js';
import type { WebhookVerifier } from './webhook-verifier.js';

/** Options for {@link stripeWebhooks}. */
export interface StripeWebhooksOptions {
  /**
   * The endpoint's signing secret (`whsec_…`, used as it is). Several during a rotation; or a
   * function returning them, called once per cold start.
   */
  readonly secret: WebhookSecret;
  /**
   * How far the signed timestamp (`t=`) may be from the clock, either way, in seconds.
   * @default 300
   */
  readonly toleranceSeconds?: number;
}

const SIGNATURE_HEADER = 'Stripe-Signature';

/** The timestamp and `v1` signatures of a `Stripe-Signature` header (`t=…,v1=…,v1=…,v0=…`). */
function parseSignatureHeader(value: string): { timestamp: string; signatures: Buffer[] } {
  const timestamps: string[] = [];
  const signatures: Buffer[] = [];
  for (const element of value.split(',')) {
    const equals = element.indexOf('=');
    const name = element.slice(0, equals).trim();
    const text = element.slice(equals + 1).trim();
    if (name === 't') timestamps.push(text);
    if (name === 'v1') {
      const digest = hexDigest(text);
      if (digest) signatures.push(digest);
    }
  }
  if (timestamps.length !== 1) {
    throw new WebhookVerificationError(`the ${SIGNATURE_HEADER} header must hold one timestamp (t=), it holds ${timestamps.length}`);
  }
  if (signatures.length === 0) throw new WebhookVerificationError(`the ${SIGNATURE_HEADER} header holds no well-formed v1 signature`);
  return { timestamp: timestamps[0], signatures };
}

/** The `id` of the Stripe event a verified body holds, or `undefined`. */
function eventId(rawBody: Buffer): string | undefined {
  try {
    const event: unknown = JSON.parse(rawBody.toString('utf8'));
    const id = typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies Stripe webhook deliveries: `Stripe-Signature: t=<unix seconds>,v1=<hex>`, an
 * HMAC-SHA256 of `t.body` under the endpoint's signing secret (several `v1` while Stripe rolls
 * a secret), and a timestamp within the tolerance. The delivery id is the event's `id` from the
 * verified body (`evt_…`), which Stripe keeps across retries.
 *
 * @example
 * export const handler = webhookIdempotency(onStripeEvent, {
 *   store: new DynamoDBStore(),
 *   name: 'stripe-events',
 *   verify: stripeWebhooks({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 * });
 */
export function stripeWebhooks(options: StripeWebhooksOptions): WebhookVerifier {
  const option = 'stripeWebhooks({ secret })';
  const keys = secretKeys(options?.secret, option, (text) => Buffer.from(text, 'utf8'));
  const toleranceSeconds = toleranceOption(options.toleranceSeconds, option);
  return {
    provider: 'stripe',
    async verify(_event, rawBody, header) {
      const { timestamp, signatures } = parseSignatureHeader(requiredHeader(header, SIGNATURE_HEADER));
      assertFresh(timestamp, `the ${SIGNATURE_HEADER} timestamp (t=)`, toleranceSeconds);
      if (!signedWithAnyKey(await keys(), signatures, (key) => hmacSha256(key, `${timestamp}.`, rawBody))) {
        throw new WebhookVerificationError(`no v1 signature in ${SIGNATURE_HEADER} matches the request under the configured secret`);
      }
      return true;
    },
    deliveryId: (_event, rawBody) => eventId(rawBody),
  };
}
