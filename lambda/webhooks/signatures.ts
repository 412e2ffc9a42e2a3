import { createHmac, timingSafeEqual } from 'node:crypto';
import { IdempotencyError } from '../core/errors.js';
import { WebhookVerificationError } from './errors.js';
import type { HeaderLookup } from './webhook-verifier.js';

/**
 * How far a signed timestamp may be from the clock, in seconds: the usual five minutes (the
 * Standard Webhooks libraries and Stripe's SDKs use it too).
 */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** HMAC-SHA256 of `prefix` followed by the body's bytes, as the presets sign. */
export function hmacSha256(key: Buffer, prefix: string, body: Buffer): Buffer {
  return createHmac('sha256', key).update(prefix).update(body).digest();
}

/**
 * True when some key's signature equals one of those sent. Each comparison is constant-time
 * (`timingSafeEqual` on equal lengths; a length says nothing secret), so the time taken tells
 * an attacker nothing about how much of a forged signature was right.
 */
export function signedWithAnyKey(keys: readonly Buffer[], sent: readonly Buffer[], sign: (key: Buffer) => Buffer): boolean {
  for (const key of keys) {
    const expected = sign(key);
    for (const candidate of sent) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return true;
    }
  }
  return false;
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;

/** A hex SHA-256 digest's bytes, or `undefined` if the text is not exactly one (Buffer's own decoder stops quietly at junk). */
export function hexDigest(text: string): Buffer | undefined {
  return HEX_SHA256.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/** A base64 SHA-256 digest's bytes, or `undefined` if the text is not exactly one. */
export function base64Digest(text: string): Buffer | undefined {
  return BASE64_SHA256.test(text) ? Buffer.from(text, 'base64') : undefined;
}

/** The value of a header the scheme requires. @throws WebhookVerificationError when it is missing or empty */
export function requiredHeader(header: HeaderLookup, name: string): string {
  const value = header(name)?.trim();
  if (!value) throw new WebhookVerificationError(`the ${name} header is missing`);
  return value;
}

// Unix seconds, as every scheme here sends them; 12 digits reach the year 33658.
const UNIX_SECONDS = /^\d{1,12}$/;

/**
 * Checks a signed Unix timestamp (seconds) is within `toleranceSeconds` of the clock, either
 * way: a captured delivery replayed later, or one stamped in the future, is refused.
 * @throws WebhookVerificationError when it is malformed or outside the tolerance
 */
export function assertFresh(text: string, what: string, toleranceSeconds: number): void {
  if (!UNIX_SECONDS.test(text)) throw new WebhookVerificationError(`${what} is not a Unix time in seconds`);
  const ageSeconds = Math.floor(Date.now() / 1000) - Number(text);
  if (Math.abs(ageSeconds) > toleranceSeconds) {
    const when = ageSeconds > 0 ? `${ageSeconds} s old` : `${-ageSeconds} s in the future`;
    throw new WebhookVerificationError(
      `${what} is ${when}, outside the tolerance of ${toleranceSeconds} s: a stale or replayed delivery, or a clock out of sync`,
    );
  }
}

/** The tolerance option, checked: a positive whole number of seconds. */
export function toleranceOption(value: number | undefined, option: string): number {
  const tolerance = value ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isInteger(tolerance) || tolerance <= 0) {
    throw new IdempotencyError(`${option}: toleranceSeconds must be a positive integer, got ${tolerance}`);
  }
  return tolerance;
}
