import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  IdempotencyInProgressError,
  IdempotencyPayloadMismatchError,
  IdempotencyResultUnavailableError,
  makeIdempotent,
} from '../../../lambda/index.js';
import { decide, complete, recordId } from '../../../lambda/core/engine.js';
import { resolveOptions } from '../../../lambda/core/options.js';
import { hashCanonical } from '../../../lambda/core/hash.js';
import { createLocalTable, type LocalTable } from '../../support/local-table.js';
import { lambdaContext, recordingLogger } from '../../support/lambda-context.js';

/** How long to wait for a background call to reach a point: generous, as a shared CI machine may be slow. */
const WAIT = { timeout: 10_000 };

type Payment = { key: string; amountCents: number };

let table: LocalTable;

beforeAll(async () => {
  table = await createLocalTable('engine');
});

afterEach(() => {
  vi.useRealTimers();
});

/** A handler that counts its runs and can be held open, like a slow payment call. */
function paymentHandler(options: { delayMs?: number; ttlSeconds?: number } = {}) {
  const runs: string[] = [];
  const handler = makeIdempotent(
    async (event: Payment) => {
      runs.push(event.key);
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      return { chargeId: `ch_${event.key}`, amountCents: event.amountCents };
    },
    { store: table.store, name: 'payments', key: (e) => e.key, ttlSeconds: options.ttlSeconds },
  );
  return { handler, runs };
}

const idOf = (key: string) => recordId('payments', key);

describe('against DynamoDB Local', () => {
  it('runs the handler once and leaves a lean completed record', async () => {
    const { handler, runs } = paymentHandler();
    const key = randomUUID();

    const result = await handler({ key, amountCents: 500 }, lambdaContext());

    expect(result).toEqual({ chargeId: `ch_${key}`, amountCents: 500 });
    expect(runs).toEqual([key]);
    const item = await table.getItem(idOf(key));
    expect(item).toBeDefined();
    // The owner token stays (a completion retried after a lost response knows it landed); the lease goes.
    expect(Object.keys(item ?? {}).sort()).toEqual(['expiration', 'f', 'id', 'o', 's', 'r'].sort());
    expect(item?.s).toEqual({ S: 'C' });
    expect(item?.id?.S).not.toContain(key);
  });

  it('replays the stored result without running the handler', async () => {
    const { handler, runs } = paymentHandler();
    const key = randomUUID();
    const first = await handler({ key, amountCents: 500 }, lambdaContext());

    const second = await handler({ key, amountCents: 500 }, lambdaContext());

    expect(second).toEqual(first);
    expect(runs).toHaveLength(1);
  });

  const values: [string, unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['a string', 'receipt #7 — ünïcödé'],
    ['an empty string', ''],
    ['zero', 0],
    ['false', false],
    ['an array', [1, 'two', null, [3], { four: 4 }]],
    ['a nested object', { a: { b: { c: [true, false] } }, n: -1.5 }],
  ];
  for (const [label, value] of values) {
    it(`replays ${label} deep-equal`, async () => {
      let runs = 0;
      const handler = makeIdempotent(
        async () => {
          runs++;
          return value;
        },
        { store: table.store, name: 'values', key: (e: { k: string }) => e.k },
      );
      const key = randomUUID();
      expect(await handler({ k: key }, lambdaContext())).toEqual(value);

      expect(await handler({ k: key }, lambdaContext())).toEqual(value);
      expect(runs).toBe(1);
    });
  }

  it('replays a class instance as plain data, keeping its Date a Date, and says so on the first call', async () => {
    class Receipt {
      constructor(
        readonly id: string,
        readonly issuedAt: Date,
        readonly note?: string,
      ) {}
    }
    const logger = recordingLogger();
    const handler = makeIdempotent(async () => new Receipt('r1', new Date(Date.UTC(2026, 0, 1)), undefined), {
      store: table.store,
      name: 'receipts',
      key: (e: { k: string }) => e.k,
      logger,
    });
    const key = randomUUID();
    await handler({ k: key }, lambdaContext());
    expect(logger.warnings).toEqual(['retry-safe: the result holds an instance of Receipt; a replay returns it as plain data']);

    const replayed = await handler({ k: key }, lambdaContext());

    expect(replayed).toEqual({ id: 'r1', issuedAt: new Date(Date.UTC(2026, 0, 1)) });
    expect(replayed).not.toBeInstanceOf(Receipt);
    expect((replayed as Receipt).issuedAt.getTime()).toBe(Date.UTC(2026, 0, 1));
  });

  it('replays what JSON cannot hold as an equal value: Date, Map, Set, BigInt, typed arrays, NaN, a cycle', async () => {
    const made = () => {
      const value = {
        at: new Date(Date.UTC(2026, 11, 2)),
        byId: new Map([['a', { n: 1 }]]),
        tags: new Set(['x', 'y']),
        amount: 10n ** 20n,
        bytes: new Uint8Array([1, 2, 3]),
        ratio: NaN,
        gaps: [1, undefined, 3],
        pattern: /a+/gi,
        self: undefined as unknown,
      };
      value.self = value;
      return value;
    };
    let runs = 0;
    const logger = recordingLogger();
    const handler = makeIdempotent(
      async () => {
        runs++;
        return made();
      },
      { store: table.store, name: 'rich-results', key: (e: { k: string }) => e.k, logger },
    );
    const key = randomUUID();
    await handler({ k: key }, lambdaContext());

    const replayed = (await handler({ k: key }, lambdaContext())) as ReturnType<typeof made>;

    expect(runs).toBe(1);
    expect(replayed.at).toBeInstanceOf(Date);
    expect(replayed.at.getTime()).toBe(Date.UTC(2026, 11, 2));
    expect(replayed.byId.get('a')).toEqual({ n: 1 });
    expect([...replayed.tags]).toEqual(['x', 'y']);
    expect(replayed.amount).toBe(10n ** 20n);
    expect(replayed.bytes).toEqual(new Uint8Array([1, 2, 3]));
    expect(replayed.ratio).toBeNaN();
    expect(replayed.gaps).toEqual([1, undefined, 3]);
    expect(replayed.pattern.flags).toBe('gi');
    expect(replayed.self).toBe(replayed);
    expect(logger.warnings).toEqual([]);
  });

  it('rejects a reused key with a different payload and leaves the stored record unchanged', async () => {
    const { handler, runs } = paymentHandler();
    const key = randomUUID();
    await handler({ key, amountCents: 500 }, lambdaContext());
    const before = await table.getItem(idOf(key));

    await expect(handler({ key, amountCents: 999 }, lambdaContext())).rejects.toBeInstanceOf(
      IdempotencyPayloadMismatchError,
    );

    expect(runs).toHaveLength(1);
    expect(await table.getItem(idOf(key))).toEqual(before);
  });

  it('releases the claim when the handler throws, so a retry runs again', async () => {
    let attempts = 0;
    const handler = makeIdempotent(
      async () => {
        attempts++;
        if (attempts === 1) throw new Error('provider timeout');
        return 'charged';
      },
      { store: table.store, name: 'flaky', key: (e: { k: string }) => e.k },
    );
    const key = randomUUID();

    await expect(handler({ k: key }, lambdaContext())).rejects.toThrow('provider timeout');
    expect(await table.getItem(recordId('flaky', key))).toBeUndefined();

    await expect(handler({ k: key }, lambdaContext())).resolves.toBe('charged');
    expect(attempts).toBe(2);
  });

  it('rejects a duplicate while the first run is in progress, and the duplicate does not delete the running claim', async () => {
    const { handler, runs } = paymentHandler({ delayMs: 300 });
    const key = randomUUID();
    const first = handler({ key, amountCents: 500 }, lambdaContext());
    await vi.waitFor(async () => expect(await table.getItem(idOf(key))).toBeDefined(), WAIT);
    const running = await table.getItem(idOf(key));

    const duplicate = await handler({ key, amountCents: 500 }, lambdaContext()).catch((e: unknown) => e);

    expect(duplicate).toBeInstanceOf(IdempotencyInProgressError);
    expect((duplicate as IdempotencyInProgressError).retryAfterMs).toBeGreaterThan(0);
    expect(await table.getItem(idOf(key))).toEqual(running);
    await expect(first).resolves.toEqual({ chargeId: `ch_${key}`, amountCents: 500 });
    expect(runs).toHaveLength(1);
    expect((await table.getItem(idOf(key)))?.s).toEqual({ S: 'C' });
  });

  it('rejects a mismatching payload without deleting the completed record', async () => {
    const handler = makeIdempotent(async () => 'done', {
      store: table.store,
      name: 'mismatch-keeps',
      key: (e: { k: string; v: number }) => e.k,
    });
    const key = randomUUID();
    await handler({ k: key, v: 1 }, lambdaContext());

    await expect(handler({ k: key, v: 2 }, lambdaContext())).rejects.toBeInstanceOf(IdempotencyPayloadMismatchError);
    await expect(handler({ k: key, v: 1 }, lambdaContext())).resolves.toBe('done');
  });
});

describe('concurrency against DynamoDB Local', () => {
  it('runs the handler exactly once for 50 concurrent invocations of one new key, over 10 keys', async () => {
    const runsPerKey = new Map<string, number>();
    const handler = makeIdempotent(
      async (event: Payment) => {
        runsPerKey.set(event.key, (runsPerKey.get(event.key) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 20));
        return { chargeId: `ch_${event.key}` };
      },
      { store: table.store, name: 'storm', key: (e) => e.key },
    );

    for (let round = 0; round < 10; round++) {
      const key = randomUUID();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, () => handler({ key, amountCents: 100 }, lambdaContext())),
      );

      expect(runsPerKey.get(key)).toBe(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'fulfilled') expect(outcome.value).toEqual({ chargeId: `ch_${key}` });
        else expect(outcome.reason).toBeInstanceOf(IdempotencyInProgressError);
      }
      expect(outcomes.filter((o) => o.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    }
  });

  it('keeps concurrent invocations of different keys independent', async () => {
    const { handler, runs } = paymentHandler({ delayMs: 10 });
    const keys = Array.from({ length: 30 }, () => randomUUID());

    const results = await Promise.all(keys.map((key) => handler({ key, amountCents: 1 }, lambdaContext())));

    expect(results.map((r) => r.chargeId)).toEqual(keys.map((k) => `ch_${k}`));
    expect(runs.sort()).toEqual([...keys].sort());
  });
});

describe('crashes, leases and expiry against DynamoDB Local', () => {
  it('treats a crashed claim as in progress until its lease lapses, then lets a retry take over and run', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const options = resolveOptions({ store: table.store, name: 'crash', key: (e: { k: string }) => e.k });
    const key = randomUUID();
    // The first invocation claims and then its process dies: no completion, no release.
    const crashed = await decide(options, { k: key }, lambdaContext({ remainingMs: 1_000 }));
    expect(crashed.action).toBe('run');

    const runs: string[] = [];
    const handler = makeIdempotent(
      async () => {
        runs.push('retry');
        return 'recovered';
      },
      { store: table.store, name: 'crash', key: (e: { k: string }) => e.k },
    );

    vi.setSystemTime(start + 7_000);
    await expect(handler({ k: key }, lambdaContext())).rejects.toBeInstanceOf(IdempotencyInProgressError);
    expect(runs).toHaveLength(0);

    vi.setSystemTime(start + 8_100);
    await expect(handler({ k: key }, lambdaContext())).resolves.toBe('recovered');
    expect(runs).toEqual(['retry']);
  });

  it('does not let a crashed claim be taken over by a different payload', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const options = resolveOptions({ store: table.store, name: 'crash-mismatch', key: (e: { k: string; v: number }) => e.k });
    const key = randomUUID();
    await decide(options, { k: key, v: 1 }, lambdaContext({ remainingMs: 0 }));

    vi.setSystemTime(start + 60_000);
    const handler = makeIdempotent(async () => 'other', options);
    await expect(handler({ k: key, v: 2 }, lambdaContext())).rejects.toBeInstanceOf(IdempotencyPayloadMismatchError);
  });

  it('never lets a stale invocation complete over a claim that was taken over', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const logger = recordingLogger();
    const options = resolveOptions({ store: table.store, name: 'stale', key: (e: { k: string }) => e.k, logger });
    const key = randomUUID();
    const stale = await decide(options, { k: key }, lambdaContext({ remainingMs: 0 }));
    vi.setSystemTime(start + 9_000);
    const fresh = await decide(options, { k: key }, lambdaContext());
    if (stale.action !== 'run' || fresh.action !== 'run') throw new Error('both should have claimed');

    await complete(stale.execution, 'stale result');
    await complete(fresh.execution, 'fresh result');

    expect(logger.warnings).toHaveLength(1);
    const replay = await decide(options, { k: key }, lambdaContext());
    expect(replay).toEqual({ action: 'replay', result: 'fresh result', from: 'table' });
    expect(await complete(stale.execution, 'stale again')).toBe(false);
  });

  it('counts a completed record past its expiration as absent even though TTL has not deleted it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const { handler, runs } = paymentHandler({ ttlSeconds: 60 });
    const key = randomUUID();
    await handler({ key, amountCents: 1 }, lambdaContext());

    vi.setSystemTime(start + 59_000);
    await handler({ key, amountCents: 1 }, lambdaContext());
    expect(runs).toHaveLength(1);

    vi.setSystemTime(start + 62_000);
    expect(await table.getItem(idOf(key))).toBeDefined();
    await handler({ key, amountCents: 1 }, lambdaContext());
    expect(runs).toHaveLength(2);
  });

  it('lets an expired record be replaced by a different payload', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const { handler, runs } = paymentHandler({ ttlSeconds: 60 });
    const key = randomUUID();
    await handler({ key, amountCents: 1 }, lambdaContext());

    vi.setSystemTime(start + 62_000);
    await expect(handler({ key, amountCents: 2 }, lambdaContext())).resolves.toEqual({
      chargeId: `ch_${key}`,
      amountCents: 2,
    });
    expect(runs).toHaveLength(2);
  });
});

describe('large results against DynamoDB Local', () => {
  it('keeps a large result in an item of its own, so the record stays small, and replays it intact', async () => {
    const big = { rows: Array.from({ length: 20_000 }, (_, i) => ({ i, label: `row ${i}` })) };
    expect(JSON.stringify(big).length).toBeGreaterThan(400 * 1024);
    let runs = 0;
    const handler = makeIdempotent(
      async () => {
        runs++;
        return big;
      },
      { store: table.store, name: 'big', key: (e: { k: string }) => e.k },
    );
    const key = randomUUID();
    await handler({ k: key }, lambdaContext());

    const record = await table.getItem(recordId('big', key));
    expect(record?.r).toBeUndefined();
    expect(JSON.stringify(record).length).toBeLessThan(400); // a replay's failed claim is billed at 1 WCU
    const resultItem = await table.getItem(record?.R?.S ?? '');
    expect(resultItem?.r?.B?.[0]).toBe(0xfe); // brotli
    expect(resultItem?.expiration).toEqual(record?.expiration);

    const replays = await Promise.all(Array.from({ length: 10 }, () => handler({ k: key }, lambdaContext())));
    for (const replay of replays) expect(replay).toEqual(big);
    expect(runs).toBe(1);
  });

  it('keeps a result under the inline limit in the record', async () => {
    const handler = makeIdempotent(async () => ({ note: 'x'.repeat(3000) }), {
      store: table.store,
      name: 'medium',
      key: (e: { k: string }) => e.k,
    });
    const key = randomUUID();
    await handler({ k: key }, lambdaContext());
    const record = await table.getItem(recordId('medium', key));
    expect(record?.R).toBeUndefined();
    expect(record?.r?.S).toContain('xxx');
    expect(await handler({ k: key }, lambdaContext())).toEqual({ note: 'x'.repeat(3000) });
  });

  it('stores no result for one too large even compressed: the first caller gets it, retries get IdempotencyResultUnavailableError and nothing runs twice', async () => {
    const noise = randomBytes(450 * 1024).toString('base64');
    let runs = 0;
    const logger = recordingLogger();
    const handler = makeIdempotent(
      async () => {
        runs++;
        return { noise };
      },
      { store: table.store, name: 'too-big', key: (e: { k: string }) => e.k, logger },
    );
    const key = randomUUID();

    expect(await handler({ k: key }, lambdaContext())).toEqual({ noise });
    await expect(handler({ k: key }, lambdaContext())).rejects.toBeInstanceOf(IdempotencyResultUnavailableError);

    expect(runs).toBe(1);
    expect((await table.getItem(recordId('too-big', key)))?.u).toEqual({ S: 'too-large' });
    expect(logger.warnings).toHaveLength(1);
  });

  it('stores no result for one neither JSON nor a structured clone can hold, and never runs the handler twice', async () => {
    let runs = 0;
    const refund = () => 'no';
    const handler = makeIdempotent(
      async () => {
        runs++;
        return { amount: 10n, refund };
      },
      { store: table.store, name: 'bigint', key: (e: { k: string }) => e.k, logger: recordingLogger() },
    );
    const key = randomUUID();

    expect(await handler({ k: key }, lambdaContext())).toEqual({ amount: 10n, refund });
    const error = await handler({ k: key }, lambdaContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyResultUnavailableError);
    expect((error as IdempotencyResultUnavailableError).reason).toBe('unserializable');
    expect(runs).toBe(1);
  });
});

describe('fingerprint', () => {
  it('hashes canonically: key order and whitespace do not count, values do', () => {
    expect(hashCanonical({ a: 1, b: [1, 2] })).toBe(hashCanonical(JSON.parse('{ "b": [1, 2],\n "a": 1 }')));
    expect(hashCanonical({ a: 1 })).not.toBe(hashCanonical({ a: '1' }));
    expect(hashCanonical(undefined)).not.toBe(hashCanonical(null));
  });
});
