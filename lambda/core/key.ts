import { IdempotencyKeyInvalidError } from './errors.js';

/**
 * Longest key accepted, in characters. Keys are hashed, never stored, so the limit only catches
 * a key read from the wrong field (a whole body): natural keys such as S3 object keys (up to
 * 1024 bytes) fit. The `Idempotency-Key` header keeps Stripe's 255.
 */
export const MAX_KEY_LENGTH = 2048;

// C0 controls, DEL and C1 controls: invisible, and a sign of a key built from the wrong field.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Returns the key if it is usable, else throws `IdempotencyKeyInvalidError` saying why. */
export function validateKey(key: unknown, maxLength = MAX_KEY_LENGTH): string {
  if (typeof key !== 'string') {
    throw new IdempotencyKeyInvalidError(`expected a string, got ${key === null ? 'null' : typeof key}`);
  }
  if (key.length === 0) throw new IdempotencyKeyInvalidError('it is empty');
  if (key.length > maxLength) {
    throw new IdempotencyKeyInvalidError(`it is ${key.length} characters long, the limit is ${maxLength}`);
  }
  if (CONTROL_CHARACTER.test(key)) throw new IdempotencyKeyInvalidError('it contains control characters');
  return key;
}
