import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * 128 bits of SHA-256, base64url (22 characters): collision-safe for keys and fingerprints,
 * and half the bytes of a full digest on every write.
 */
export function hashString(value: string): string {
  return createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');
}

/**
 * Hash of a value's RFC 8785 canonical JSON: object key order and whitespace do not count.
 * Throws a plain `Error` for values JSON cannot represent (cycles, NaN, BigInt, lone surrogates).
 */
export function hashCanonical(value: unknown): string {
  // canonicalize returns undefined for a top-level undefined; give it a stable, non-JSON text.
  return hashString(canonicalize(value) ?? 'undefined');
}
