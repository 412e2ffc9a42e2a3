import { IdempotencyError } from '../core/errors.js';
import { hashCanonical } from '../core/hash.js';
import type { HttpRequestView } from './http-event.js';

/** What must be identical when a key is reused, as the JSON value whose canonical hash is compared. */
export interface RequestFingerprint {
  readonly method: string;
  readonly path: string;
  /** Query parameters sorted by name (values keep their order); hashing sorts object keys anyway. */
  readonly query: Readonly<Record<string, readonly string[]>>;
  readonly body: BodyFingerprint;
}

/**
 * A body as it counts for "the same request": parsed JSON (key order and whitespace do not
 * count), or the bytes as base64 (every byte counts), or nothing.
 */
export type BodyFingerprint = { readonly json: unknown } | { readonly bytes: string } | { readonly none: true };

/**
 * The fingerprint hash of a request: the canonical hash of its {@link RequestFingerprint}, i.e.
 * method, path, query and body. Headers never count, so volatile envelope fields (request id,
 * timestamps, trace headers) cannot cause a mismatch.
 */
export function requestFingerprint(request: HttpRequestView): string {
  const query: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(request.query)) query[wellFormed(name)] = values.map(wellFormed);
  const fingerprint: RequestFingerprint = {
    method: wellFormed(request.method),
    path: wellFormed(request.path),
    query,
    body: bodyFingerprint(request),
  };
  try {
    return hashCanonical(fingerprint);
  } catch {
    // Only a body an earlier middleware parsed can get here (a lone surrogate, a BigInt, a
    // cycle): canonical JSON cannot hold it, so its JSON text counts byte for byte instead.
    return hashCanonical({ ...fingerprint, body: { bytes: jsonBytes(request.body) } });
  }
}

/**
 * A string canonical JSON can hold: lone surrogates (which it rejects) are written as JSON
 * escapes, so two different malformed values still differ.
 */
function wellFormed(value: string): string {
  return (value as unknown as { isWellFormed(): boolean }).isWellFormed() ? value : JSON.stringify(value);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function bodyFingerprint(request: HttpRequestView): BodyFingerprint {
  const { body } = request;
  if (body === undefined || body === null || body === '') return { none: true };
  // A body-parsing middleware registered earlier may already have replaced the text with a value.
  if (typeof body !== 'string') return { json: body };
  const bytes = request.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length === 0) return { none: true };
  const json = parseJsonExactly(bytes);
  return json === NOT_JSON ? { bytes: bytes.toString('base64') } : { json: json.value };
}

const NOT_JSON = Symbol('not JSON');

/**
 * Parses UTF-8 JSON, or returns {@link NOT_JSON} when the bytes are not JSON or when parsing
 * would lose information: a number with more digits than a double keeps would make two
 * different amounts compare equal, so such bodies are compared byte for byte instead.
 */
function parseJsonExactly(bytes: Buffer): { value: unknown } | typeof NOT_JSON {
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
  return numbersSurviveParsing(text) && !LONE_SURROGATE_ESCAPE.test(text) ? { value } : NOT_JSON;
}

// `\ud800`-style escapes may decode to lone surrogates, which canonical JSON (RFC 8785) cannot
// express. Such bodies (rare: escaped emoji, or garbage) are compared byte for byte instead.
const LONE_SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** JSON text of a value canonical JSON refused (lone surrogates, BigInts), as base64. */
function jsonBytes(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  } catch (error) {
    // Only a cycle gets here, and no client can send one: a middleware built this body.
    throw new IdempotencyError('the request body set by an earlier middleware is not JSON-representable', {
      cause: error,
    });
  }
  return Buffer.from(text ?? '', 'utf8').toString('base64');
}

// 15 significant decimal digits always survive a round trip through a double (DBL_DIG).
const MAX_EXACT_DIGITS = 15;
const STRING_LITERAL = /"(?:[^"\\]|\\.)*"/g;
const NUMBER_LITERAL = /-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?/g;

function numbersSurviveParsing(json: string): boolean {
  const outsideStrings = json.replace(STRING_LITERAL, '""');
  for (const match of outsideStrings.matchAll(NUMBER_LITERAL)) {
    const digits = `${match[1]}${match[2] ?? ''}`.replace(/^0+/, '').replace(/0+$/, '');
    if (digits.length > MAX_EXACT_DIGITS) return false;
    const value = Number(match[0]);
    // Overflow to Infinity or underflow to zero (or to a subnormal) loses the value too.
    if (!Number.isFinite(value) || (digits.length > 0 && Math.abs(value) < 1e-300)) return false;
  }
  return true;
}
