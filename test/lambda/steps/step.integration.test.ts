import { randomUUID } from 'node:crypto';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  IdempotencyError,
  IdempotencyInProgressError,
  IdempotencyPayloadMismatchError,
  StepInterruptedError,
  VersionConflictError,
  compareAndSwap,
  makeIdempotent,
  step,
  type IdempotencyStore,
} from '../../../lambda/index.js';
import { recordId } from '../../../lambda/core/engine.js';
import { stepKey, stepRecordId } from '../../../lambda/steps/step.js';
import { createLocalTable, type LocalTable } from '../../support/local-table.js';
import { lambdaContext, recordingLogger } from '../../support/lambda-context.js';
import { CrashingStore, FakeProvider, never } from './crashing-store.js';

/** How long to wait for a background call to reach a point: generous, as a shared CI machine may be slow. */
const WAIT = { timeout: 10_000 };

type Order = { orderId: string; amountCents: number };
type Point = 'afterCharge' | 'afterEmail';

let table: LocalTable;

beforeAll(async () => {
  table = await createLocalTable('steps');
});

afterEach(() => {
  vi.useRealTimers();
});

// A short remaining time gives the shortest lease: 5 s floor + 3 s margin.
const shortContext = () => lambdaContext({ remainingMs: 1_000 });
const LEASE_LAPSED_MS = 9_000;

/**
 * The essay's order, in two steps: charge, then email. Each attempt can be told to throw or to
 * crash (hang forever, no release) at a point between the steps.
 */
function orderWorld(options: { store?: IdempotencyStore; ttlSeconds?: number; atMostOnce?: boolean } = {}) {
  const name = `orders-${randomUUID()}`;
  const payments = new FakeProvider();
  const mailer = new FakeProvider();
  const faults = new Map<Point, 'throw' | 'crash'>();
  const at = async (point: Point) => {
    const fault = faults.get(point);
    faults.delete(point);
    if (fault === 'throw') throw new Error(`injected failure ${point}`);
    if (fault === 'crash') await never();
  };
  const handler = makeIdempotent(
    async (event: Order) => {
      const charge = await step('charge', (key) => payments.perform(key, `ch_${event.amountCents}`), {
        atMostOnce: options.atMostOnce,
      });
      await at('afterCharge');
      const email = await step('email', (key) => mailer.perform(key, 'mail'));
      await at('afterEmail');
      return { orderId: event.orderId, charge, email };
    },
    { store: options.store ?? table.store, name, key: (e) => e.orderId, ttlSeconds: options.ttlSeconds },
  );
  const parentId = (orderId: string) => recordId(name, orderId);
  return { handler, payments, mailer, faults, parentId };
}

/** Crashes a first run of `order` right after its charge step was recorded, then lets its lease lapse. */
async function crashAfterChargeRecorded(world: ReturnType<typeof orderWorld>, order: Order): Promise<void> {
  world.faults.set('afterCharge', 'crash');
  vi.useFakeTimers({ toFake: ['Date'] });
  const start = Date.now();
  void world.handler(order, shortContext());
  await vi.waitFor(
    async () => expect(await table.getItem(stepRecordId(world.parentId(order.orderId), 'charge'))).toBeDefined(),
    WAIT,
  );
  vi.setSystemTime(start + LEASE_LAPSED_MS);
}

/**
 * Starts `firstRun`, waits until `store` crashed it, and returns a function that lets its lease
 * lapse (the clock is faked from here on), for tests that act in between.
 */
async function crashFirstRun(store: CrashingStore, firstRun: () => Promise<unknown>): Promise<() => void> {
  vi.useFakeTimers({ toFake: ['Date'] });
  const start = Date.now();
  void firstRun();
  await vi.waitFor(() => expect(store.crashed).toBe(1), WAIT);
  return () => vi.setSystemTime(start + LEASE_LAPSED_MS);
}

describe('step() under makeIdempotent, against DynamoDB Local', () => {
  it('runs each step once and replays completed steps to a retry of the parent without running them', async () => {
    const world = orderWorld();
    const order = { orderId: randomUUID(), amountCents: 500 };
    world.faults.set('afterEmail', 'throw');

    await expect(world.handler(order, lambdaContext())).rejects.toThrow('injected failure afterEmail');
    const result = await world.handler(order, lambdaContext());

    expect(result).toEqual({ orderId: order.orderId, charge: 'ch_500_1', email: 'mail_1' });
    expect(world.payments.calls).toHaveLength(1);
    expect(world.mailer.calls).toHaveLength(1);
  });

  it('gives the same clean-run result after a crash between a side effect and its record, with the effect done once', async () => {
    const store = new CrashingStore(table.store);
    const world = orderWorld({ store });
    const order = { orderId: randomUUID(), amountCents: 700 };
    store.crashBefore('recordStep', stepRecordId(world.parentId(order.orderId), 'charge'));
    const letLeaseLapse = await crashFirstRun(store, () => world.handler(order, shortContext()));
    letLeaseLapse();
    const result = await world.handler(order, shortContext());

    expect(result).toEqual({ orderId: order.orderId, charge: 'ch_700_1', email: 'mail_1' });
    // At least once: the charge function ran again, with the same derived key, so the provider charged once.
    expect(world.payments.calls).toHaveLength(2);
    expect(new Set(world.payments.calls).size).toBe(1);
    expect(world.payments.effects).toBe(1);
    expect(world.mailer.effects).toBe(1);
  });

  it('keeps completed steps when a retry takes over an expired lease', async () => {
    const world = orderWorld();
    const order = { orderId: randomUUID(), amountCents: 900 };

    await crashAfterChargeRecorded(world, order);
    const result = await world.handler(order, shortContext());

    expect(result).toEqual({ orderId: order.orderId, charge: 'ch_900_1', email: 'mail_1' });
    expect(world.payments.calls).toHaveLength(1);
    expect(world.mailer.calls).toHaveLength(1);
  });

  it('lets one of many concurrent retries after a crash take over, and no side effect happens twice', async () => {
    const world = orderWorld();
    const order = { orderId: randomUUID(), amountCents: 300 };
    await crashAfterChargeRecorded(world, order);

    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => world.handler(order, shortContext())));
    const final = await world.handler(order, shortContext());

    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(fulfilled.length).toBeGreaterThanOrEqual(1);
    for (const o of rejected) expect(o.reason).toBeInstanceOf(IdempotencyInProgressError);
    for (const o of fulfilled) expect(o.value).toEqual(final);
    expect(final).toEqual({ orderId: order.orderId, charge: 'ch_300_1', email: 'mail_1' });
    expect(world.payments.calls).toHaveLength(1);
    expect(world.mailer.calls).toHaveLength(1);
  });

  it('returns the first recorded result to a late execution that ran the same step after losing its lease', async () => {
    const name = `race-${randomUUID()}`;
    const orderId = randomUUID();
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
    let attempt = 0;
    const handler = makeIdempotent(
      async () => {
        const mine = ++attempt;
        return step('reserve', async () => {
          if (mine === 1) await slowGate;
          return `reservation-from-attempt-${mine}`;
        });
      },
      { store: table.store, name, key: () => orderId, logger: recordingLogger() },
    );
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();

    const slow = handler({}, shortContext());
    await vi.waitFor(() => expect(attempt).toBe(1), WAIT);
    vi.setSystemTime(start + LEASE_LAPSED_MS);
    const takeover = await handler({}, shortContext());
    releaseSlow();

    expect(takeover).toBe('reservation-from-attempt-2');
    expect(await slow).toBe('reservation-from-attempt-2');
  });

  it('rejects a step name used twice in one execution, without running the second function', async () => {
    const second = vi.fn(async () => 'second');
    const handler = makeIdempotent(
      async () => {
        await step('charge', async () => 'first');
        return step('charge', second);
      },
      { store: table.store, name: `dup-${randomUUID()}`, key: () => 'k' },
    );

    const failure = await handler({}, lambdaContext()).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(IdempotencyError);
    expect((failure as Error).message).toMatch(/step name "charge" was already used in this execution/);
    expect(second).not.toHaveBeenCalled();
  });

  it('derives a key that is stable across retries and differs per step and per parent key', async () => {
    const seen: Record<string, string[]> = {};
    let fail = true;
    const handler = makeIdempotent(
      async (event: { orderId: string }) => {
        for (const name of ['charge', 'email']) {
          await step(name, (key) => {
            (seen[`${event.orderId}/${name}`] ??= []).push(key);
            return key;
          });
        }
        if (fail) throw new Error('retry me');
        return 'done';
      },
      // A fresh name per call keeps the step from replaying, so every attempt reports its key.
      { store: table.store, name: `keys-${randomUUID()}`, key: (e) => e.orderId },
    );
    await expect(handler({ orderId: 'a' }, lambdaContext())).rejects.toThrow();
    await expect(handler({ orderId: 'b' }, lambdaContext())).rejects.toThrow();
    fail = false;

    await handler({ orderId: 'a' }, lambdaContext());

    // Replayed steps do not call their function again: each key was seen once, on the first attempt.
    expect(seen['a/charge']).toHaveLength(1);
    const keys = [seen['a/charge'][0], seen['a/email'][0], seen['b/charge'][0], seen['b/email'][0]];
    expect(new Set(keys).size).toBe(4);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(keys).not.toContain('a');
  });

  it('passes the same derived key again when a step is re-run after its function threw', async () => {
    const keys: string[] = [];
    let fail = true;
    const handler = makeIdempotent(
      async () =>
        step('charge', (key) => {
          keys.push(key);
          if (fail) throw new Error('provider timeout');
          return 'charged';
        }),
      { store: table.store, name: `rerun-${randomUUID()}`, key: () => 'order' },
    );

    await expect(handler({}, lambdaContext())).rejects.toThrow('provider timeout');
    fail = false;
    const result = await handler({}, lambdaContext());

    expect(result).toBe('charged');
    // Not recorded as done after the throw: the retry ran it again, with the same key.
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it('rejects another payload under a key whose parent was released, without running its steps', async () => {
    const world = orderWorld();
    const orderId = randomUUID();
    world.faults.set('afterEmail', 'throw');
    await expect(world.handler({ orderId, amountCents: 100 }, lambdaContext())).rejects.toThrow('injected');

    const mismatch = world.handler({ orderId, amountCents: 99_999 }, lambdaContext());

    await expect(mismatch).rejects.toBeInstanceOf(IdempotencyPayloadMismatchError);
    expect(world.payments.calls).toHaveLength(1);
    // The original payload still completes from its recorded steps.
    const result = await world.handler({ orderId, amountCents: 100 }, lambdaContext());
    expect(result).toEqual({ orderId, charge: 'ch_100_1', email: 'mail_1' });
    expect(world.payments.calls).toHaveLength(1);
    expect(world.mailer.calls).toHaveLength(1);
  });

  it('keeps each of many concurrent invocations to its own execution', async () => {
    const name = `concurrent-${randomUUID()}`;
    const keysSeen = new Map<string, string>();
    const handler = makeIdempotent(
      async (event: { orderId: string }) => {
        // Interleave: every invocation is inside its handler before any step runs.
        await new Promise((r) => setTimeout(r, 5));
        return step('charge', async (key) => {
          await new Promise((r) => setTimeout(r, Math.random() * 10));
          keysSeen.set(event.orderId, key);
          return `charged ${event.orderId}`;
        });
      },
      { store: table.store, name, key: (e) => e.orderId },
    );
    const orderIds = Array.from({ length: 25 }, () => randomUUID());

    const results = await Promise.all(orderIds.map((orderId) => handler({ orderId }, lambdaContext())));

    expect(results).toEqual(orderIds.map((orderId) => `charged ${orderId}`));
    for (const orderId of orderIds) {
      const parentId = recordId(name, orderId);
      expect(keysSeen.get(orderId)).toBe(stepKey(parentId, 'charge'));
      const record = await table.getItem(stepRecordId(parentId, 'charge'));
      expect(record?.r?.S).toBe(JSON.stringify(`charged ${orderId}`));
    }
  });

  it('replays step results of every JSON shape, compressing large ones', async () => {
    const big = 'x'.repeat(20_000);
    const values: unknown[] = [undefined, null, 0, '', 'text', [1, [2, { three: 3 }]], { nested: { a: [true, null] } }, big];
    const calls = vi.fn();
    let fail = true;
    const handler = makeIdempotent(
      async () => {
        const replayed: unknown[] = [];
        for (const [index, value] of values.entries()) {
          replayed.push(
            await step(`value-${index}`, () => {
              calls();
              return value;
            }),
          );
        }
        if (fail) throw new Error('again');
        return replayed;
      },
      { store: table.store, name: `shapes-${randomUUID()}`, key: () => 'k' },
    );
    await expect(handler({}, lambdaContext())).rejects.toThrow('again');
    fail = false;

    const replayed = await handler({}, lambdaContext());

    expect(replayed).toEqual(values);
    expect(calls).toHaveBeenCalledTimes(values.length);
  });

  it('keeps a step record longer than the parent retention and extends it when a late retry replays it', async () => {
    const ttlSeconds = 3_600;
    const world = orderWorld({ ttlSeconds });
    const orderId = randomUUID();
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    world.faults.set('afterEmail', 'throw');
    await expect(world.handler({ orderId, amountCents: 1 }, lambdaContext())).rejects.toThrow();
    const chargeId = stepRecordId(world.parentId(orderId), 'charge');
    const written = Number((await table.getItem(chargeId))?.expiration?.N);
    const startSeconds = Math.floor(start / 1000);
    // Two retentions plus the longest lease (15 min + 3 s).
    expect(written).toBe(startSeconds + 2 * ttlSeconds + 903);

    // Later than one retention after the step: less than a retention plus a lease is left.
    vi.setSystemTime(start + (ttlSeconds + 1_000) * 1000);
    await world.handler({ orderId, amountCents: 1 }, lambdaContext());

    const extended = Number((await table.getItem(chargeId))?.expiration?.N);
    expect(extended).toBe(startSeconds + ttlSeconds + 1_000 + 2 * ttlSeconds + 903);
    expect(world.payments.calls).toHaveLength(1);
  });

  it('counts a step record past its expiry as absent, even before TTL deletes it', async () => {
    const ttlSeconds = 60;
    const world = orderWorld({ ttlSeconds });
    const orderId = randomUUID();
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    world.faults.set('afterEmail', 'throw');
    await expect(world.handler({ orderId, amountCents: 1 }, lambdaContext())).rejects.toThrow();

    vi.setSystemTime(start + (2 * ttlSeconds + 903 + 2) * 1000);
    await world.handler({ orderId, amountCents: 1 }, lambdaContext());

    expect(world.payments.calls).toHaveLength(2);
  });
});

describe('at-most-once steps, against DynamoDB Local', () => {
  it('records the start first, then the result, and replays a completed step', async () => {
    const world = orderWorld({ atMostOnce: true });
    const orderId = randomUUID();
    world.faults.set('afterEmail', 'throw');
    await expect(world.handler({ orderId, amountCents: 5 }, lambdaContext())).rejects.toThrow();

    const result = await world.handler({ orderId, amountCents: 5 }, lambdaContext());

    expect(result).toEqual({ orderId, charge: 'ch_5_1', email: 'mail_1' });
    expect(world.payments.calls).toHaveLength(1);
    const record = await table.getItem(stepRecordId(world.parentId(orderId), 'charge'));
    expect(record?.s).toEqual({ S: 'C' });
    // The owner stays on the finished record: a finish retried after a lost response knows it landed.
    expect(record?.o?.S).toEqual(expect.any(String));
  });

  it('rejects a retry of an at-most-once step whose function threw with StepInterruptedError, without running it', async () => {
    const name = `amo-throw-${randomUUID()}`;
    const charge = vi.fn(async () => {
      throw new Error('connection reset after the request was sent');
    });
    const handler = makeIdempotent(async () => step('charge', charge, { atMostOnce: true }), {
      store: table.store,
      name,
      key: () => 'order-1',
    });
    await expect(handler({}, lambdaContext())).rejects.toThrow('connection reset');

    const retry = await handler({}, lambdaContext()).catch((e: unknown) => e);

    expect(retry).toBeInstanceOf(StepInterruptedError);
    const interrupted = retry as StepInterruptedError;
    const parentId = recordId(name, 'order-1');
    expect(interrupted.stepName).toBe('charge');
    expect(interrupted.stepKey).toBe(stepKey(parentId, 'charge'));
    expect(interrupted.recordId).toBe(stepRecordId(parentId, 'charge'));
    expect(interrupted.message).toContain(interrupted.stepKey);
    expect(charge).toHaveBeenCalledTimes(1);
  });

  it('rejects a retry after a crash between an at-most-once side effect and its record', async () => {
    const store = new CrashingStore(table.store);
    const world = orderWorld({ store, atMostOnce: true });
    const orderId = randomUUID();
    store.crashBefore('finishStep');
    const letLeaseLapse = await crashFirstRun(store, () => world.handler({ orderId, amountCents: 5 }, shortContext()));
    letLeaseLapse();

    await expect(world.handler({ orderId, amountCents: 5 }, shortContext())).rejects.toBeInstanceOf(
      StepInterruptedError,
    );

    expect(world.payments.calls).toHaveLength(1);
    expect(world.mailer.calls).toHaveLength(0);
  });

  it('runs an at-most-once step whose start was lost in a crash before it was written', async () => {
    const store = new CrashingStore(table.store);
    const world = orderWorld({ store, atMostOnce: true });
    const orderId = randomUUID();
    store.crashBefore('startStep');
    const letLeaseLapse = await crashFirstRun(store, () => world.handler({ orderId, amountCents: 5 }, shortContext()));
    letLeaseLapse();

    const result = await world.handler({ orderId, amountCents: 5 }, shortContext());

    expect(result).toEqual({ orderId, charge: 'ch_5_1', email: 'mail_1' });
    expect(world.payments.calls).toHaveLength(1);
  });
});

describe('the execution a step belongs to', () => {
  it('rejects step() outside an idempotent execution with an error naming the fix', async () => {
    const fn = vi.fn();

    const failure = await step('charge', fn).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(IdempotencyError);
    expect((failure as Error).message).toMatch(/outside an idempotent execution.*makeIdempotent.*\{ context \}/);
    expect(fn).not.toHaveBeenCalled();
  });

  it('does not leak the execution into the caller async context, during or after the handler', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handler = makeIdempotent(
      async () => {
        await gate;
        return step('inside', () => 'ok');
      },
      { store: table.store, name: `leak-${randomUUID()}`, key: () => 'k' },
    );

    const running = handler({}, lambdaContext());
    const during = await step('caller-during', () => 'no').catch((e: unknown) => e);
    release();
    expect(await running).toBe('ok');
    const after = await step('caller-after', () => 'no').catch((e: unknown) => e);

    expect(during).toBeInstanceOf(IdempotencyError);
    expect(after).toBeInstanceOf(IdempotencyError);
    expect((after as Error).message).toMatch(/outside an idempotent execution/);
  });

  it('runs the steps of a request without a key under required: false, each time, with keys of their own', async () => {
    const name = `bypass-${randomUUID()}`;
    const keys: string[] = [];
    const handler = makeIdempotent(
      async () => {
        const first = await step('charge', (key) => keys.push(key));
        // Names stay unique within the run even without records.
        const reused = await step('charge', () => 'twice').catch((e: unknown) => e);
        return { first, reused };
      },
      { store: table.store, name, key: () => undefined, required: false },
    );

    const [one, two] = [await handler({}, lambdaContext()), await handler({}, lambdaContext())];

    expect(one.first).toBe(1);
    expect(two.first).toBe(2);
    expect(one.reused).toBeInstanceOf(IdempotencyError);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // Nothing was claimed or recorded: there is no key to record it under.
    const { Count } = await table.client.send(
      new ScanCommand({ TableName: table.tableName, FilterExpression: 'begins_with(id, :n)', ExpressionAttributeValues: { ':n': { S: name } } }),
    );
    expect(Count).toBe(0);
  });

  it('refuses a step started after its handler returned (a step that was not awaited), recording nothing', async () => {
    const name = `late-${randomUUID()}`;
    let late: Promise<unknown> | undefined;
    const fn = vi.fn(() => 'late');
    const handler = makeIdempotent(
      async () => {
        // Not awaited: by the time the timer fires, the handler has returned and completed.
        late = new Promise((resolve) => setTimeout(resolve, 20)).then(() => step('late', fn));
        // Handled from the start: on a slow machine it rejects before the test awaits it below.
        late.catch(() => undefined);
        return 'done';
      },
      { store: table.store, name, key: () => 'k' },
    );

    expect(await handler({}, lambdaContext())).toBe('done');
    const failure = await late?.catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(IdempotencyError);
    expect((failure as Error).message).toMatch(/started after its handler returned: await every step/);
    expect(fn).not.toHaveBeenCalled();
    expect(await table.getItem(stepRecordId(recordId(name, 'k'), 'late'))).toBeUndefined();
  });

  it('rejects an invalid step name with a clear error before touching the table', async () => {
    const handler = makeIdempotent(async () => step('', () => 'x'), {
      store: table.store,
      name: `badname-${randomUUID()}`,
      key: () => 'k',
    });

    await expect(handler({}, lambdaContext())).rejects.toThrow(/invalid step name ""/);
  });
});

describe('steps with compareAndSwap, the inventory pattern', () => {
  /** Takes one unit of stock: the version read is recorded in its own step, the write id is the step key. */
  function stockWorld(store: IdempotencyStore) {
    const sku = { id: { S: `sku-${randomUUID()}` } };
    const readStock = async () => {
      const out = await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: sku, ConsistentRead: true }));
      return { stock: Number(out.Item?.stock?.N), version: Number(out.Item?.version?.N) };
    };
    const name = `stock-${randomUUID()}`;
    const handler = makeIdempotent(
      async () => {
        const seen = await step('read-stock', readStock);
        const taken = await step('take-stock', (key) =>
          compareAndSwap({
            client: table.client,
            tableName: table.tableName,
            key: sku,
            expectedVersion: seen.version,
            set: { stock: { N: String(seen.stock - 1) } },
            writeId: key,
          }),
        );
        return { stock: seen.stock - 1, version: taken.version };
      },
      { store, name, key: () => 'order-1' },
    );
    const takeStockId = stepRecordId(recordId(name, 'order-1'), 'take-stock');
    return { sku, handler, readStock, takeStockId };
  }

  it('recognizes its own write after a crash between compareAndSwap and the step record: stock taken once', async () => {
    const store = new CrashingStore(table.store);
    const world = stockWorld(store);
    await compareAndSwap({ ...table, key: world.sku, expectedVersion: 0, set: { stock: { N: '5' } } });
    store.crashBefore('recordStep', world.takeStockId);
    const letLeaseLapse = await crashFirstRun(store, () => world.handler({}, shortContext()));
    letLeaseLapse();

    const result = await world.handler({}, shortContext());

    expect(result).toEqual({ stock: 4, version: 2 });
    expect(await world.readStock()).toEqual({ stock: 4, version: 2 });
  });

  it('fails loudly with VersionConflictError when the stock moved on before the retry, overwriting nothing', async () => {
    const store = new CrashingStore(table.store);
    const world = stockWorld(store);
    await compareAndSwap({ ...table, key: world.sku, expectedVersion: 0, set: { stock: { N: '5' } } });
    store.crashBefore('recordStep', world.takeStockId);
    const letLeaseLapse = await crashFirstRun(store, () => world.handler({}, shortContext()));
    // Another order takes a unit after ours.
    await compareAndSwap({ ...table, key: world.sku, expectedVersion: 2, set: { stock: { N: '3' } } });
    letLeaseLapse();

    await expect(world.handler({}, shortContext())).rejects.toBeInstanceOf(VersionConflictError);

    expect(await world.readStock()).toEqual({ stock: 3, version: 3 });
  });
});

describe('step results that JSON would change, against DynamoDB Local', () => {
  it('replays a Date a step returned as a Date, so a retry can call its methods', async () => {
    let charges = 0;
    let crashes = 0;
    const handler = makeIdempotent(
      async (event: { id: string }) => {
        const at = await step('charge', async () => {
          charges++;
          return new Date(Date.UTC(2026, 11, 2, 9, 30));
        });
        if (event.id.startsWith('crash') && crashes++ === 0) throw new Error('crash after the charge');
        return { chargedAt: at.getTime() };
      },
      { store: table.store, name: `dates-${randomUUID()}`, key: (e) => e.id },
    );
    const id = `crash-${randomUUID()}`;
    await expect(handler({ id }, lambdaContext())).rejects.toThrow('crash after the charge');

    // The retry replays the step: before, its result came back as a string and `getTime` threw.
    expect(await handler({ id }, lambdaContext())).toEqual({ chargedAt: Date.UTC(2026, 11, 2, 9, 30) });
    expect(charges).toBe(1);
  });
});
