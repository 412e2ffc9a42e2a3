// Events of one kind repeat the same few member names: quoting each once saves a quarter of
// the work. Bounded in count and length, so arbitrary keys (a map of ids) cannot grow it much.
// Declared first: a bundler inlines constants that no function before them can reach.
const MEMBER_NAMES_KEPT = 1024;
const MEMBER_NAME_MAX_LENGTH = 64;

/**
 * RFC 8785 (JCS) canonical JSON, the text the `canonicalize` package produces, built in one
 * pass into one string. It runs on every call (the fingerprint), where that package's per-value
 * template strings, arrays and character-by-character surrogate scan were the largest cost.
 * `test/lambda/core/canonical-json.test.ts` checks both agree, value for value.
 *
 * Returns `undefined` for a top-level `undefined`, function or symbol (as `JSON.stringify`).
 * Throws a plain `Error` for NaN, infinities, lone surrogates and cycles; a `TypeError` for BigInt.
 */
export function canonicalJson(value: unknown): string | undefined {
  return serialize(value, []);
}

// ES2024, in every Node this package supports (20+); not yet in the ES2023 lib typings.
type WellFormed = { isWellFormed(): boolean };

// What JSON.stringify escapes (controls, quote, backslash) and what may be a lone surrogate.
// eslint-disable-next-line no-control-regex
const NEEDS_CARE = /[\u0000-\u001f"\\\ud800-\udfff]/;

function text(value: string): string {
  // Most keys and values are plain: quoting them by hand is twice as fast as JSON.stringify.
  if (!NEEDS_CARE.test(value)) return `"${value}"`;
  if (!(value as unknown as WellFormed).isWellFormed()) throw new Error('Lone surrogate is not allowed');
  return JSON.stringify(value);
}

// Quoted member names, bounded as said at the top.
const memberNames = new Map<string, string>();

/** `"key":`, quoted as JSON. */
function memberName(key: string): string {
  let quoted = memberNames.get(key);
  if (quoted === undefined) {
    quoted = `${text(key)}:`;
    if (key.length <= MEMBER_NAME_MAX_LENGTH) {
      if (memberNames.size >= MEMBER_NAMES_KEPT) memberNames.clear();
      memberNames.set(key, quoted);
    }
  }
  return quoted;
}

/** `path` holds the objects being serialized above this one: meeting one again is a cycle. */
function serialize(value: unknown, path: object[]): string | undefined {
  // Strings and numbers first: they are most of any event.
  if (typeof value === 'string') return text(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} is not allowed`);
    // ECMAScript's number-to-string is the one JCS specifies; `String(-0)` is `0`, as required.
    return String(value);
  }
  // null and booleans; undefined, functions and symbols give undefined; BigInt throws a TypeError.
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (path.includes(value)) throw new Error('Circular reference detected');
  path.push(value);
  let out: string | undefined;
  const withToJSON = value as { toJSON?: () => unknown };
  if (typeof withToJSON.toJSON === 'function') {
    out = serialize(withToJSON.toJSON(), path);
  } else if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (i > 0) out += ',';
      // undefined and symbols are null in arrays; a hole or a function leaves an empty slot, as in the package.
      if (item === undefined) out += i in value ? 'null' : '';
      else out += typeof item === 'symbol' ? 'null' : (serialize(item, path) ?? '');
    }
    out += ']';
  } else {
    const record = value as Record<string, unknown>;
    // Default sort order is by UTF-16 code units, the order RFC 8785 prescribes.
    const keys = Object.keys(record).sort();
    out = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const item = record[key];
      if (item === undefined || typeof item === 'symbol') continue;
      if (out.length > 1) out += ',';
      // A function member is written as `undefined`, as the package does; JSON has no such value.
      out += memberName(key) + serialize(item, path);
    }
    out += '}';
  }
  path.pop();
  return out;
}
