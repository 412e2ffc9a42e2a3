import { randomBytes } from 'node:crypto';
import { constants, deflateRawSync } from 'node:zlib';
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { BROTLI_PARAM_QUALITY, COMPRESS_ABOVE_BYTES, decodeResult, encodeResult, isUnstorable, MAX_RESULT_BYTES } from '../../../lambda/core/result-codec.js';

/** Encodes and decodes as a store round trip would, failing the test if the value was refused. */
function roundTrip(value: unknown, lost: string[] = []): unknown {
  const encoded = encodeResult(value, (what) => lost.push(what));
  if (isUnstorable(encoded)) throw new Error(`refused: ${encoded.unstorable}`);
  return decodeResult(encoded);
}

describe('result codec', () => {
  it('stores JSON data as JSON text, as before, so existing records and readers keep working', () => {
    expect(encodeResult({ ok: true, items: [1, 'x', null] })).toBe('{"ok":true,"items":[1,"x",null]}');
    expect(decodeResult('{"ok":true}')).toEqual({ ok: true });
  });

  it('gives back an equal Date, Map, Set, BigInt, typed array, RegExp and Error, where JSON would not', () => {
    const value = {
      at: new Date(Date.UTC(2026, 0, 1)),
      map: new Map<unknown, unknown>([[1, new Date(0)]]),
      set: new Set([1n]),
      bytes: new Uint8Array([0, 255]),
      buffer: Buffer.from('hi'),
      pattern: /x/y,
      error: new RangeError('too far'),
    };
    const back = roundTrip(value) as typeof value;
    expect(back.at).toBeInstanceOf(Date);
    expect(back.at.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(back.map.get(1)).toEqual(new Date(0));
    expect(back.set.has(1n)).toBe(true);
    expect(back.bytes).toEqual(new Uint8Array([0, 255]));
    expect(Buffer.isBuffer(back.buffer)).toBe(true);
    expect(back.pattern.flags).toBe('y');
    expect(back.error).toBeInstanceOf(RangeError);
    expect(back.error.message).toBe('too far');
  });

  it('gives back a top-level Date and BigInt', () => {
    expect(roundTrip(new Date(5))).toEqual(new Date(5));
    expect(roundTrip(12n)).toBe(12n);
  });

  it('compresses a large structured clone and reads it back', () => {
    const value = new Map(Array.from({ length: 2000 }, (_, i) => [`key-${i}`, new Date(i)]));
    const encoded = encodeResult(value);
    expect(encoded).toBeInstanceOf(Uint8Array);
    expect((encoded as Uint8Array).byteLength).toBeLessThan(COMPRESS_ABOVE_BYTES * 10);
    expect(decodeResult(encoded as Uint8Array)).toEqual(value);
  });

  it('compresses large JSON with brotli, tighter than deflate, and reads it back', () => {
    const value = { rows: Array.from({ length: 2000 }, (_, i) => ({ i, name: `row ${i}` })) };
    const encoded = encodeResult(value);
    expect(encoded).toBeInstanceOf(Uint8Array);
    expect((encoded as Uint8Array)[0]).toBe(0xfe);
    expect((encoded as Uint8Array).byteLength).toBeLessThan(deflateRawSync(JSON.stringify(value)).byteLength);
    expect(decodeResult(encoded as Uint8Array)).toEqual(value);
  });

  it('sets brotli\'s quality by the parameter number zlib defines', () => {
    expect(BROTLI_PARAM_QUALITY).toBe(constants.BROTLI_PARAM_QUALITY);
  });

  it('reads the deflate-compressed JSON and clones that 0.1 wrote', () => {
    const value = { rows: Array.from({ length: 500 }, (_, i) => ({ i })) };
    expect(decodeResult(deflateRawSync(JSON.stringify(value)))).toEqual(value);
    const clone = new Map([[1, new Date(7)]]);
    expect(decodeResult(deflateRawSync(serialize(clone)))).toEqual(clone);
  });

  it('stores a large clone uncompressed when compression would not make it smaller', () => {
    const value = { bytes: new Uint8Array(randomBytes(20_000)) };
    const encoded = encodeResult(value) as Uint8Array;
    expect(encoded[0]).toBe(0xff);
    expect(encoded.byteLength).toBeLessThan(20_100);
    expect(decodeResult(encoded)).toEqual(value);
  });

  it('compresses incompressible-looking base64 by its alphabet, and reads it back', () => {
    const base64 = randomBytes(30_000).toString('base64');
    const encoded = encodeResult({ blob: base64 });
    expect(encoded).toBeInstanceOf(Uint8Array);
    expect((encoded as Uint8Array).byteLength).toBeLessThan(base64.length * 0.8);
    expect(decodeResult(encoded as Uint8Array)).toEqual({ blob: base64 });
  });

  it('refuses a result whose stored form would exceed the item limit, even when compressed', () => {
    const encoded = encodeResult(randomBytes(MAX_RESULT_BYTES).toString('base64'));
    expect(isUnstorable(encoded) && encoded.unstorable).toBe('too-large');
  });

  it('stores a class that defines toJSON in its JSON form, without a warning', () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        return `${this.cents / 100} EUR`;
      }
    }
    const lost: string[] = [];
    expect(roundTrip({ price: new Money(1250) }, lost)).toEqual({ price: '12.5 EUR' });
    expect(lost).toEqual([]);
  });

  it('reports a class instance and a function as lost, naming them', () => {
    class Receipt {
      constructor(readonly id: string) {}
      describe() {
        return this.id;
      }
    }
    const lost: string[] = [];
    expect(roundTrip(new Receipt('r1'), lost)).toEqual({ id: 'r1' });
    expect(lost).toEqual(['an instance of Receipt']);
    const lostFn: string[] = [];
    expect(roundTrip({ id: 1, callback: () => 1 }, lostFn)).toEqual({ id: 1 });
    expect(lostFn).toEqual(['a function']);
  });

  it('refuses, rather than crashes on, a result neither JSON nor a clone can hold, or nested past the stack', () => {
    expect(encodeResult({ amount: 1n, f: () => 1 })).toEqual({ unstorable: 'unserializable' });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(encodeResult(deep)).toEqual({ unstorable: 'unserializable' });
  });
});
