import { deserialize, serialize } from 'node:v8';
import { brotliCompressSync, brotliDecompressSync, inflateRawSync } from 'node:zlib';

/**
 * A result as stored: JSON text; or bytes, which are the structured clone (HTML's structured
 * serialization, as `node:v8` writes it) of a result JSON cannot hold, brotli-compressed JSON
 * or clone (deflate in records written by 0.1), or nothing for `undefined`.
 */
export type EncodedResult = string | Uint8Array | undefined;

/** Why a result cannot be stored for replay. */
export type UnstorableReason = 'too-large' | 'unserializable';

/** Results whose encoding exceeds this many bytes are compressed: one write unit is 1 KB. */
export const COMPRESS_ABOVE_BYTES = 4096;

/**
 * DynamoDB's item limit is 400 KB, counting attribute names and every other attribute;
 * 8 KB is left for those.
 */
export const MAX_RESULT_BYTES = 400 * 1024 - 8 * 1024;

// Every structured clone starts with V8's version tag. Compressed bytes start with a tag of
// their own, as brotli streams have no signature. Neither JSON text (UTF-8) nor a raw deflate
// stream (0.1's compression, still read) can start with either byte: its block type bits would
// be the reserved `11`.
const CLONE_TAG = 0xff;
const BROTLI_TAG = 0xfe;

// Quality 5 of 11: on a 100 KB order it compresses within 5% of quality 9 at a tenth of the CPU
// (a few milliseconds), and 5-10% tighter than deflate; 10 and 11 save another 10-15% for 20-60×
// the time, which a handler's duration pays for on every first execution. The text mode and
// size hint parameters made no difference on JSON, so only the quality is set.
const BROTLI_QUALITY = 5;
/** `zlib.constants.BROTLI_PARAM_QUALITY`: part of brotli's C API, so fixed; a literal bundles smaller. */
export const BROTLI_PARAM_QUALITY = 1;

/** Called with what a result lost on its way to storage (a class's prototype, a function). */
export type LossReporter = (lost: string) => void;

/**
 * Encodes a handler's result for storage, or says why it cannot be stored. JSON data is stored
 * as JSON text. A result JSON would change (a `Date`, `Map`, `Set`, `BigInt`, typed array,
 * `RegExp`, `Error`, `NaN`, `undefined` in an array, a cycle) is stored as its structured clone,
 * so a replay returns an equal value. Class instances without `toJSON` and functions cannot be
 * replayed as they are: they are stored as plain data and `reportLoss` says so.
 */
export function encodeResult(value: unknown, reportLoss?: LossReporter): EncodedResult | { unstorable: UnstorableReason } {
  let survey: Survey;
  try {
    survey = surveyValue(value);
  } catch {
    return { unstorable: 'unserializable' }; // nested deeper than the stack allows
  }
  if (survey.lost && reportLoss) reportLoss(survey.lost);
  if (survey.needsClone) {
    const clone = cloneBytes(value);
    if (clone) return compressIfLarge(clone) ?? clone;
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return { unstorable: 'unserializable' };
  }
  if (json === undefined) return undefined;
  // UTF-8 needs at most 3 bytes per UTF-16 unit: skip the byte count for clearly small results.
  if (json.length * 3 <= COMPRESS_ABOVE_BYTES) return json;
  if (Buffer.byteLength(json) <= COMPRESS_ABOVE_BYTES) return json;
  return compressIfLarge(Buffer.from(json)) ?? json;
}

/** Decodes what {@link encodeResult} stored. */
export function decodeResult(encoded: EncodedResult): unknown {
  if (encoded === undefined) return undefined;
  if (typeof encoded === 'string') return JSON.parse(encoded);
  const bytes =
    encoded[0] === CLONE_TAG
      ? encoded
      : encoded[0] === BROTLI_TAG
        ? brotliDecompressSync(encoded.subarray(1))
        : inflateRawSync(encoded);
  return bytes[0] === CLONE_TAG ? deserialize(bytes) : JSON.parse(Buffer.from(bytes).toString('utf8'));
}

/** Which of {@link encodeResult}'s forms a stored result is in, told by its first byte. */
export function storedForm(encoded: EncodedResult): 'json' | 'clone' | 'brotli' | 'deflate' | 'none' {
  if (encoded === undefined) return 'none';
  if (typeof encoded === 'string') return 'json';
  return encoded[0] === CLONE_TAG ? 'clone' : encoded[0] === BROTLI_TAG ? 'brotli' : 'deflate';
}

/** True when {@link encodeResult} refused the value. */
export function isUnstorable(
  encoded: EncodedResult | { unstorable: UnstorableReason },
): encoded is { unstorable: UnstorableReason } {
  return typeof encoded === 'object' && !(encoded instanceof Uint8Array);
}

/**
 * The tagged brotli form of `bytes` when they are large enough to be worth it; `undefined`
 * when compression does not make them smaller (random data), so the caller stores them as they are.
 */
function compressIfLarge(bytes: Uint8Array): Uint8Array | { unstorable: UnstorableReason } | undefined {
  if (bytes.byteLength <= COMPRESS_ABOVE_BYTES) return undefined;
  const compressed = brotliCompressSync(bytes, { params: { [BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } });
  const stored = compressed.byteLength + 1;
  if (stored >= bytes.byteLength) return bytes.byteLength > MAX_RESULT_BYTES ? { unstorable: 'too-large' } : undefined;
  if (stored > MAX_RESULT_BYTES) return { unstorable: 'too-large' };
  const tagged = Buffer.allocUnsafe(stored);
  tagged[0] = BROTLI_TAG;
  tagged.set(compressed, 1);
  return tagged;
}

/** The structured clone's bytes, or `undefined` for a value it cannot hold (a function, a symbol). */
function cloneBytes(value: unknown): Uint8Array | undefined {
  try {
    return serialize(value);
  } catch {
    return undefined;
  }
}

interface Survey {
  /** JSON would not give back an equal value, and a structured clone would. */
  needsClone: boolean;
  /** The first thing neither keeps (a class instance's prototype, a function), named. */
  lost?: string;
  /** The objects from the root down to the one being walked: a cycle meets one of them again. */
  readonly path: object[];
}

/**
 * Walks a result once to learn how it must be stored. Plain JSON data, by far the usual
 * result, is walked and then stringified as before; anything else is found on the way.
 */
function surveyValue(root: unknown): Survey {
  const survey: Survey = { needsClone: false, path: [] };
  visit(survey, root, false);
  return survey;
}

// A module-level function with the survey passed in, not a closure: this runs on every first
// execution, and the benchmark's CPU goal counts each allocation.
function visit(survey: Survey, value: unknown, inArray: boolean): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) survey.needsClone = true;
      return;
    case 'bigint':
      survey.needsClone = true;
      return;
    case 'undefined':
      // JSON drops an undefined property (the replay lacks it, which reads the same) but turns
      // one in an array into `null`.
      if (inArray) survey.needsClone = true;
      return;
    case 'function':
    case 'symbol':
      survey.lost ??= `a ${typeof value}`;
      return;
  }
  if (value === null) return;
  const object = value as object;
  const { path } = survey;
  if (path.includes(object)) {
    survey.needsClone = true; // a cycle: JSON cannot write it, a clone can
    return;
  }
  path.push(object);
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) visit(survey, object[i], true);
  } else {
    const prototype = Object.getPrototypeOf(object) as object | null;
    if (prototype === Object.prototype || prototype === null) {
      for (const key in object) visit(survey, (object as Record<string, unknown>)[key], false);
    } else if (isCloneable(object)) {
      survey.needsClone = true;
      if (object instanceof Map) object.forEach((item, key) => (visit(survey, key, true), visit(survey, item, true)));
      else if (object instanceof Set) object.forEach((item) => visit(survey, item, true));
    } else if (typeof (object as { toJSON?: unknown }).toJSON !== 'function') {
      // A class that defines its JSON form (a decimal, a date-time library) is stored in that
      // form; any other instance loses its prototype either way.
      survey.lost ??= `an instance of ${object.constructor?.name || 'a class'}`;
      survey.needsClone = true;
      for (const key in object) visit(survey, (object as Record<string, unknown>)[key], false);
    }
  }
  path.pop();
}

/** Built-in objects a structured clone gives back equal, and JSON does not. */
function isCloneable(object: object): boolean {
  return (
    object instanceof Date ||
    object instanceof Map ||
    object instanceof Set ||
    object instanceof RegExp ||
    object instanceof Error ||
    ArrayBuffer.isView(object) ||
    object instanceof ArrayBuffer
  );
}
