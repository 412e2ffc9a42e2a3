import { describe, expect, it } from 'vitest';
import { RecordCache } from '../../lambda/core/cache.js';
import type { IdempotencyRecord } from '../../lambda/core/store.js';
import { IdempotencyError } from '../../lambda/index.js';

const NOW_MS = Date.UTC(2026, 10, 28, 12, 0, 0);
const NOW_S = NOW_MS / 1000;

function completed(id: string, expiresAtSeconds = NOW_S + 60): IdempotencyRecord {
  return { id, status: 'completed', fingerprint: `f-${id}`, expiresAtSeconds, result: `"${id}"` };
}

describe('RecordCache', () => {
  it('returns a completed record it was given', () => {
    const cache = new RecordCache();
    const record = completed('a');
    cache.set(record);
    expect(cache.get('a', NOW_MS)).toBe(record);
  });

  it('never keeps an in-progress record', () => {
    const cache = new RecordCache();
    cache.set({ id: 'a', status: 'in-progress', fingerprint: 'f', expiresAtSeconds: NOW_S + 60, owner: 'o', leaseExpiresAtMs: NOW_MS + 1 });
    expect(cache.get('a', NOW_MS)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops a record once it has expired, as the store counts it absent', () => {
    const cache = new RecordCache();
    cache.set(completed('a', NOW_S + 10));
    expect(cache.get('a', NOW_MS + 10_000)).toBeDefined();
    expect(cache.get('a', NOW_MS + 11_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries records, dropping the least recently used', () => {
    const cache = new RecordCache({ maxEntries: 2 });
    cache.set(completed('a'));
    cache.set(completed('b'));
    cache.get('a', NOW_MS); // `a` is now more recent than `b`
    cache.set(completed('c'));
    expect(cache.size).toBe(2);
    expect(cache.get('b', NOW_MS)).toBeUndefined();
    expect(cache.get('a', NOW_MS)).toBeDefined();
    expect(cache.get('c', NOW_MS)).toBeDefined();
  });

  it('replaces a record set again under the same id without growing', () => {
    const cache = new RecordCache({ maxEntries: 2 });
    cache.set(completed('a'));
    const newer = { ...completed('a'), result: '"newer"' };
    cache.set(newer);
    expect(cache.size).toBe(1);
    expect(cache.get('a', NOW_MS)).toBe(newer);
  });

  it('forgets a deleted record', () => {
    const cache = new RecordCache();
    cache.set(completed('a'));
    cache.delete('a');
    expect(cache.get('a', NOW_MS)).toBeUndefined();
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects maxEntries %s with a typed error', (maxEntries) => {
    expect(() => new RecordCache({ maxEntries })).toThrow(IdempotencyError);
  });
});
