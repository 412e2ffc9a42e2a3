import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** A result as stored: JSON text, deflate-compressed JSON, or nothing for `undefined`. */
export type EncodedResult = string | Uint8Array | undefined;

/** Why a result cannot be stored for replay. */
export type UnstorableReason = 'too-large' | 'unserializable';

/** Results whose JSON exceeds this many bytes are compressed: one write unit is 1 KB. */
export const COMPRESS_ABOVE_BYTES = 4096;

/**
 * DynamoDB's item limit is 400 KB, counting attribute names and every other attribute;
 * 8 KB is left for those.
 */
export const MAX_RESULT_BYTES = 400 * 1024 - 8 * 1024;

/** Encodes a handler's result for storage, or says why it cannot be stored. */
export function encodeResult(value: unknown): EncodedResult | { unstorable: UnstorableReason } {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return { unstorable: 'unserializable' };
  }
  if (json === undefined) return undefined;
  // UTF-8 needs at most 3 bytes per UTF-16 unit: skip the byte count for clearly small results.
  if (json.length * 3 <= COMPRESS_ABOVE_BYTES) return json;
  const bytes = Buffer.byteLength(json);
  if (bytes <= COMPRESS_ABOVE_BYTES) return json;
  const compressed = deflateRawSync(json);
  if (compressed.byteLength > MAX_RESULT_BYTES) return { unstorable: 'too-large' };
  return compressed;
}

/** Decodes what {@link encodeResult} stored. */
export function decodeResult(encoded: EncodedResult): unknown {
  if (encoded === undefined) return undefined;
  const json = typeof encoded === 'string' ? encoded : inflateRawSync(encoded).toString('utf8');
  return JSON.parse(json);
}

/** True when {@link encodeResult} refused the value. */
export function isUnstorable(
  encoded: EncodedResult | { unstorable: UnstorableReason },
): encoded is { unstorable: UnstorableReason } {
  return typeof encoded === 'object' && !(encoded instanceof Uint8Array);
}
