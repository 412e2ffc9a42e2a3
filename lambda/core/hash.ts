import { hash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * 128 bits of SHA-256, base64url (22 characters): collision-safe for keys and fingerprints,
 * and half the bytes of a full digest on every write. `crypto.hash` (Node 20.12+, hence the
 * `engines` range) is several times faster than a Hash object for one short input.
 */
export function hashString(value: string): string {
  // 16 bytes are 21 full characters and 2 bits of a 22nd; the full digest's 22nd character
  // also carries 4 bits of byte 17, which the mask clears, so the text is that of 16 bytes.
  const digest = hash('sha256', value, 'base64url');
  return digest.slice(0, 21) + BASE64URL[BASE64URL.indexOf(digest[21]) & 0b110000];
}

/**
 * Hash of a value's RFC 8785 canonical JSON: object key order and whitespace do not count.
 * Throws a plain `Error` for values JSON cannot represent (cycles, NaN, BigInt, lone surrogates).
 */
export function hashCanonical(value: unknown): string {
  // A top-level undefined has no JSON text; give it a stable, non-JSON one.
  return hashString(canonicalJson(value) ?? 'undefined');
}
