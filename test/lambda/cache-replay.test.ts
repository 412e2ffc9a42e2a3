import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  idempotency,
  IdempotencyError,
  IdempotencyPayloadMismatchError,
  makeIdempotent,
  RecordCache,
} from '../../lambda/index.js';
import type { ClaimRecord, ClaimResult, CompletionRecord, IdempotencyStore } from '../../lambda/index.js';
import { createLocalTable } from '../support/local-table.js';
import { lambdaContext } from '../support/lambda-context.js';

/** How long to wait for a background call to reach a point: generous, as a shared CI machine may be slow. */
const WAIT = { timeout: 10_000 };

type Order = { orderId: string; amount: number };

/** Wraps a store so each test can count the claims that reach it. */
function countingStore(inner: IdempotencyStore): IdempotencyStore & { claims: number } {
  const counted = {
    claims: 0,
    claim(record: ClaimRecord, nowMs: number): Promise<ClaimResult> {
      counted.claims += 1;
      return inner.claim(record, nowMs);
    },
    complete: (record: CompletionRecord, owner: string) => inner.complete(record, owner),
    release: (id: string, owner: string) => inner.release(id, owner),
  };
  return counted;
}

const context = lambdaContext({ functionName: 'cache-replay' });

describe('the opt-in cache of completed records, against DynamoDB Local', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('replays a result it completed from memory, as a fresh copy each time', async () => {
    const table = await createLocalTable('cache');
    const store = countingStore(table.store);
    let runs = 0;
    const handler = makeIdempotent(async (e: Order) => ({ runs: ++runs, lines: [e.amount] }), {
      store,
      key: (e) => e.orderId,
      cache: new RecordCache({ maxEntries: 10 }),
    });
    const first = await handler({ orderId: 'o1', amount: 5 }, context);
    first.lines.push(99); // a caller mutating its result must not change what is replayed
    const second = await handler({ orderId: 'o1', amount: 5 }, context);
    const third = await handler({ orderId: 'o1', amount: 5 }, context);
    expect(second).toEqual({ runs: 1, lines: [5] });
    expect(third).toEqual(second);
    expect(third).not.toBe(second);
    expect(runs).toBe(1);
    expect(store.claims).toBe(1);
  });

  it('caches a record first learned from a replay, so only the first replay reads the table', async () => {
    const table = await createLocalTable('cache');
    let runs = 0;
    const options = { store: table.store, key: (e: Order) => e.orderId };
    const writer = makeIdempotent(async (e: Order) => ({ runs: ++runs, amount: e.amount }), options);
    await writer({ orderId: 'o2', amount: 7 }, context);
    const store = countingStore(table.store);
    const reader = makeIdempotent(async (e: Order) => ({ runs: ++runs, amount: e.amount }), {
      ...options,
      store,
      cache: new RecordCache({ maxEntries: 10 }),
    });
    expect(await reader({ orderId: 'o2', amount: 7 }, context)).toEqual({ runs: 1, amount: 7 });
    expect(await reader({ orderId: 'o2', amount: 7 }, context)).toEqual({ runs: 1, amount: 7 });
    expect(store.claims).toBe(1);
    expect(runs).toBe(1);
  });

  it('never caches an in-progress record: a retry during the run asks the table again', async () => {
    const table = await createLocalTable('cache');
    const store = countingStore(table.store);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    const handler = makeIdempotent(
      async (e: Order) => {
        runs += 1;
        await gate;
        return { amount: e.amount };
      },
      { store, key: (e) => e.orderId, cache: new RecordCache({ maxEntries: 10 }) },
    );
    const running = handler({ orderId: 'o3', amount: 1 }, context);
    await vi.waitFor(() => expect(runs).toBe(1), WAIT);
    await expect(handler({ orderId: 'o3', amount: 1 }, context)).rejects.toThrow(/in progress/);
    await expect(handler({ orderId: 'o3', amount: 1 }, context)).rejects.toThrow(/in progress/);
    expect(store.claims).toBe(3);
    release();
    await running;
    // The completion itself fills the cache: the replay after it needs no claim.
    expect(await handler({ orderId: 'o3', amount: 1 }, context)).toEqual({ amount: 1 });
    expect(store.claims).toBe(3);
    expect(runs).toBe(1);
  });

  it('does not cache a claim released after the handler threw: the retry runs again', async () => {
    const table = await createLocalTable('cache');
    const store = countingStore(table.store);
    let runs = 0;
    const handler = makeIdempotent(
      async (e: Order) => {
        runs += 1;
        if (runs === 1) throw new Error('card declined');
        return { amount: e.amount };
      },
      { store, key: (e) => e.orderId, cache: new RecordCache({ maxEntries: 10 }) },
    );
    await expect(handler({ orderId: 'o4', amount: 3 }, context)).rejects.toThrow('card declined');
    expect(await handler({ orderId: 'o4', amount: 3 }, context)).toEqual({ amount: 3 });
    expect(runs).toBe(2);
  });

  it('runs again once the cached record has expired, as without a cache', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 10, 28, 12, 0, 0));
    const table = await createLocalTable('cache');
    const store = countingStore(table.store);
    let runs = 0;
    const handler = makeIdempotent(async () => ({ runs: ++runs }), {
      store,
      key: (e: Order) => e.orderId,
      ttlSeconds: 60,
      cache: new RecordCache({ maxEntries: 10 }),
    });
    await handler({ orderId: 'o5', amount: 1 }, context);
    expect(await handler({ orderId: 'o5', amount: 1 }, context)).toEqual({ runs: 1 });
    vi.setSystemTime(Date.UTC(2026, 10, 28, 12, 2, 0));
    expect(await handler({ orderId: 'o5', amount: 1 }, context)).toEqual({ runs: 2 });
    expect(store.claims).toBe(2);
  });

  it('rejects a reused key with another payload from memory, leaving the record alone', async () => {
    const table = await createLocalTable('cache');
    const store = countingStore(table.store);
    const handler = makeIdempotent(async (e: Order) => ({ amount: e.amount }), {
      store,
      key: (e) => e.orderId,
      cache: new RecordCache({ maxEntries: 10 }),
    });
    await handler({ orderId: 'o6', amount: 1 }, context);
    await expect(handler({ orderId: 'o6', amount: 2 }, context)).rejects.toBeInstanceOf(
      IdempotencyPayloadMismatchError,
    );
    expect(store.claims).toBe(1);
    expect(await handler({ orderId: 'o6', amount: 1 }, context)).toEqual({ amount: 1 });
  });

  it('keeps caches apart per wrapped handler and per operation name', async () => {
    const table = await createLocalTable('cache');
    const make = (name: string) =>
      makeIdempotent(async (e: Order) => ({ name, amount: e.amount }), {
        store: table.store,
        name,
        key: (e) => e.orderId,
        cache: new RecordCache({ maxEntries: 10 }),
      });
    const charge = make('charge');
    const refund = make('refund');
    expect(await charge({ orderId: 'o7', amount: 1 }, context)).toEqual({ name: 'charge', amount: 1 });
    expect(await refund({ orderId: 'o7', amount: 1 }, context)).toEqual({ name: 'refund', amount: 1 });
    expect(await charge({ orderId: 'o7', amount: 1 }, context)).toEqual({ name: 'charge', amount: 1 });
  });

  it('rejects a cache with a non-positive size when it is made', () => {
    expect(() => new RecordCache({ maxEntries: 0 })).toThrow(IdempotencyError);
  });

  it('rejects cache options where a cache belongs when the handler is wrapped, saying what to pass', () => {
    const store = { claim: vi.fn(), complete: vi.fn(), release: vi.fn() };
    const options = { store, cache: { maxEntries: 10 } as unknown as RecordCache };
    expect(() => idempotency(options)).toThrow(/options.cache must be a RecordCache/);
    expect(() => makeIdempotent(async () => 1, options)).toThrow(IdempotencyError);
  });
});
