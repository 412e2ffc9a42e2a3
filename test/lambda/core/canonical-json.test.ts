import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../lambda/core/canonical-json.js';
import { hashCanonical, hashString } from '../../../lambda/core/hash.js';
// A seeded PRNG, so a failure reproduces from its seed.
import { seededRandom as random } from '../../../bench/payloads.js';

const NUMBERS = [0, -0, 1, -1, 0.1, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 333333333.3333333, 2 ** 53, NaN, Infinity, -Infinity];
const PIECES = ['a', 'Z', 'é', '€', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u2028', '😀', '\ud83d', '\ude00', ' ', 'key', '0', '_'];

function randomString(next: () => number, allowLoneSurrogates: boolean): string {
  let out = '';
  const length = Math.floor(next() * 6);
  for (let i = 0; i < length; i++) {
    const piece = PIECES[Math.floor(next() * PIECES.length)];
    if (!allowLoneSurrogates && (piece === '\ud83d' || piece === '\ude00')) continue;
    out += piece;
  }
  return out;
}

function randomValue(next: () => number, depth: number, rare: boolean): unknown {
  const roll = next();
  if (depth > 3 || roll < 0.35) {
    const kind = Math.floor(next() * (rare ? 9 : 5));
    switch (kind) {
      case 0:
        return randomString(next, rare);
      case 1:
        return NUMBERS[Math.floor(next() * (rare ? NUMBERS.length : NUMBERS.length - 3))];
      case 2:
        return next() < 0.5;
      case 3:
        return null;
      case 4:
        return Math.round(next() * 1e6) / 100;
      case 5:
        return undefined;
      case 6:
        return Symbol('s');
      case 7:
        return () => 1;
      default:
        return new Date(Math.floor(next() * 2e12));
    }
  }
  if (roll < 0.65) {
    const length = Math.floor(next() * 5);
    const array: unknown[] = [];
    for (let i = 0; i < length; i++) array.push(randomValue(next, depth + 1, rare));
    if (rare && next() < 0.1) array.length += 1; // a trailing hole
    return array;
  }
  const object: Record<string, unknown> = {};
  const size = Math.floor(next() * 6);
  for (let i = 0; i < size; i++) object[randomString(next, rare) || `k${i}`] = randomValue(next, depth + 1, rare);
  if (rare && next() < 0.05) return { toJSON: () => object };
  return object;
}

function outcome(f: () => string | undefined): { text?: string; threw?: boolean } {
  try {
    return { text: f() };
  } catch {
    return { threw: true };
  }
}

describe('canonicalJson', () => {
  it('writes the same text as the canonicalize package for JSON values', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const value = randomValue(random(seed), 0, false);
      expect(canonicalJson(value), `seed ${seed}`).toBe(canonicalize(value));
    }
  });

  it('agrees with the canonicalize package on odd values too, throwing exactly when it throws', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const value = randomValue(random(seed), 0, true);
      expect(outcome(() => canonicalJson(value)), `seed ${seed}`).toEqual(outcome(() => canonicalize(value)));
    }
  });

  it('sorts keys by UTF-16 code units, as RFC 8785 requires', () => {
    expect(canonicalJson({ b: 1, a: 2, '€': 3, '😀': 4, '\ufb33': 5, A: 6 })).toBe(
      '{"A":6,"a":2,"b":1,"€":3,"😀":4,"דּ":5}',
    );
  });

  it('writes numbers in the ECMAScript form RFC 8785 specifies', () => {
    expect(canonicalJson([-0, 1e21, 1e-7, 0.000001, 333333333.3333333])).toBe('[0,1e+21,1e-7,0.000001,333333333.3333333]');
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a lone high surrogate', '\ud83d'],
    ['a lone low surrogate in a key', { '\ude00': 1 }],
  ])('rejects %s', (_name, value) => {
    expect(() => canonicalJson(value)).toThrow();
  });

  it('rejects a cycle but accepts an object shared twice', () => {
    const shared = { n: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"n":1},"b":[{"n":1}]}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = { back: cyclic };
    expect(() => canonicalJson(cyclic)).toThrow(/Circular/);
  });
});

describe('hashString', () => {
  it('is the first 128 bits of SHA-256 in base64url', () => {
    const next = random(7);
    for (let i = 0; i < 2000; i++) {
      const value = randomString(next, false) + String(next());
      const reference = createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');
      expect(hashString(value)).toBe(reference);
    }
  });

  it('hashes equal values written in another key order alike, and different values apart', () => {
    expect(hashCanonical({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(hashCanonical({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(hashCanonical({ a: 1 })).not.toBe(hashCanonical({ a: 2 }));
  });
});
