import { describe, expect, it } from 'vitest';
import { IdempotencyKeyInvalidError } from '../../../lambda/index.js';
import { parseIdempotencyKey } from '../../../lambda/http/idempotency-key-header.js';

const uuid = '0b5c8a9e-4f1d-4c3e-9a7b-2d6e8f0a1b2c';

describe('parseIdempotencyKey', () => {
  it('decodes an RFC 9651 string', () => {
    expect(parseIdempotencyKey(['"abc-123"'])).toBe('abc-123');
  });

  it('reads a bare token as the same key as the quoted string', () => {
    expect(parseIdempotencyKey(['abc-123'])).toBe(parseIdempotencyKey(['"abc-123"']));
  });

  it('accepts a bare UUID that starts with a digit', () => {
    expect(parseIdempotencyKey([uuid])).toBe(uuid);
  });

  it('keeps leading zeros of a digits-only bare key (it is a token, not a number)', () => {
    expect(parseIdempotencyKey(['00123'])).toBe('00123');
  });

  it('accepts an RFC 9651 token with characters beyond RFC 9110 tchar', () => {
    expect(parseIdempotencyKey(['urn:order/42'])).toBe('urn:order/42');
  });

  it('decodes escapes and keeps spaces inside a quoted string', () => {
    expect(parseIdempotencyKey(['"a \\"quoted\\" \\\\ key"'])).toBe('a "quoted" \\ key');
  });

  it('ignores optional whitespace around the value', () => {
    expect(parseIdempotencyKey([' \t"abc"\t '])).toBe('abc');
  });

  it('ignores parameters, as RFC 9651 asks of parameters a field does not define', () => {
    expect(parseIdempotencyKey(['"abc";v=1'])).toBe('abc');
    expect(parseIdempotencyKey(['abc;v=1'])).toBe('abc');
  });

  it('ignores parameters after a bare key that starts with a digit (a UUID), as after a quoted one', () => {
    expect(parseIdempotencyKey([`${uuid};p=1`])).toBe(uuid);
    expect(parseIdempotencyKey([`${uuid};p=1;q="x"`])).toBe(parseIdempotencyKey([`"${uuid}";p=1;q="x"`]));
    expect(parseIdempotencyKey(['123;v=1'])).toBe('123');
  });

  it('returns undefined when the header is absent', () => {
    expect(parseIdempotencyKey([])).toBeUndefined();
  });

  it('accepts a key of exactly 255 characters, quoted or bare', () => {
    const key = 'k'.repeat(255);
    expect(parseIdempotencyKey([key])).toBe(key);
    expect(parseIdempotencyKey([`"${key}"`])).toBe(key);
  });

  const rejects: ReadonlyArray<readonly [string, string[], RegExp]> = [
    ['an empty value', [''], /empty/],
    ['a value of only whitespace', ['   '], /empty/],
    ['an empty quoted string', ['""'], /empty string/],
    ['a key of 256 characters', ['k'.repeat(256)], /256 characters long, the limit is 255/],
    ['a quoted key of 256 characters', [`"${'k'.repeat(256)}"`], /256 characters/],
    ['non-ASCII characters', ['clé-42'], /neither a quoted string/],
    ['non-ASCII characters inside quotes', ['"clé-42"'], /neither a quoted string/],
    ['an unterminated quoted string', ['"abc'], /neither a quoted string/],
    ['a control character', ['"a\u0001b"'], /neither a quoted string/],
    ['a header sent twice (multi-value list)', ['a', 'b'], /sent 2 times/],
    ['the same key sent twice', ['a', 'a'], /sent 2 times/],
    ['a header sent twice and joined with a comma', ['a,b'], /holds a list/],
    ['two quoted keys joined with a comma', ['"a", "b"'], /holds a list/],
    ['two bare UUIDs joined with a comma', [`${uuid},${uuid}`], /holds a list/],
    ['a bare key with malformed parameters', [`${uuid};=1`], /malformed parameters/],
    ['a bare key with a parameter of bad syntax', [`${uuid};p="open`], /malformed parameters/],
    ['a byte sequence', [':YWJj:'], /another type/],
    ['a boolean', ['?1'], /another type/],
    ['an inner list', ['("a" "b")'], /neither a quoted string/],
  ];

  it.each(rejects)('rejects %s', (_, values, message) => {
    expect(() => parseIdempotencyKey(values)).toThrow(IdempotencyKeyInvalidError);
    expect(() => parseIdempotencyKey(values)).toThrow(message);
  });

  it('keeps a comma inside a quoted string as part of one key', () => {
    expect(parseIdempotencyKey(['"a,b"'])).toBe('a,b');
  });
});
