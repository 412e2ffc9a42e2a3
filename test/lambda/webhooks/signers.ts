/**
 * Senders for the tests: each signs a delivery the way its provider's documentation says,
 * with node:crypto directly (not the code under test), and returns the headers it would send.
 */
import { createHmac } from 'node:crypto';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A delivery as a test sends it: the body's bytes, and when it was signed. */
export interface Delivery {
  /** The body's exact bytes (a string is UTF-8). */
  body: string | Buffer;
  /** Unix seconds the signature is stamped with. @default now */
  timestamp?: number;
}

/** Standard Webhooks: HMAC-SHA256 of `id.timestamp.body` under the base64 key after `whsec_`, sent as `v1,<base64>`. */
export function standardHeaders(
  secrets: string | string[],
  delivery: Delivery & { id: string },
): Record<string, string> {
  const timestamp = String(delivery.timestamp ?? nowSeconds());
  const signatures = [secrets].flat().map((secret) => {
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    const mac = createHmac('sha256', key).update(`${delivery.id}.${timestamp}.`).update(delivery.body).digest('base64');
    return `v1,${mac}`;
  });
  return { 'webhook-id': delivery.id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}

/** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, the delivery GUID in `X-GitHub-Delivery`. */
export function githubHeaders(secret: string, delivery: Delivery & { id: string }): Record<string, string> {
  const mac = createHmac('sha256', secret).update(delivery.body).digest('hex');
  return {
    'X-GitHub-Event': 'push',
    'X-GitHub-Delivery': delivery.id,
    'X-Hub-Signature-256': `sha256=${mac}`,
    'Content-Type': 'application/json',
  };
}

/** Stripe: `Stripe-Signature: t=<seconds>,v1=<hex HMAC-SHA256 of t.body>` (one v1 per secret while a secret rolls). */
export function stripeHeaders(secrets: string | string[], delivery: Delivery): Record<string, string> {
  const timestamp = delivery.timestamp ?? nowSeconds();
  const v1 = [secrets].flat().map((secret) => `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(delivery.body).digest('hex')}`);
  return { 'Stripe-Signature': [`t=${timestamp}`, ...v1].join(','), 'Content-Type': 'application/json; charset=utf-8' };
}
