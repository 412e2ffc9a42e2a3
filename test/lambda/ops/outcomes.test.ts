/**
 * Every wrapper reports each call's outcome exactly once, to `onOutcome`; `emfMetrics` writes it
 * as CloudWatch EMF; nothing reported or logged ever holds a key, a payload or a result.
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  RecordCache,
  emfMetrics,
  httpIdempotency,
  idempotency,
  makeIdempotent,
  type HttpEvent,
  type IdempotencyOutcome,
  type IdempotencyLogger,
  type IdempotencyStore,
  type OutcomeName,
} from '../../../lambda/index.js';
import { createLocalTable, type LocalTable } from '../../support/local-table.js';
import { lambdaContext } from '../../support/lambda-context.js';
import { httpV2 } from '../http/events.js';

let table: LocalTable;

beforeAll(async () => {
  table = await createLocalTable('outcomes');
});

afterEach(() => {
  vi.restoreAllMocks();
});

type PayEvent = { key?: string; amount: number };

/** Logs that the assertions do not read stay out of the test output. */
const quiet: IdempotencyLogger = { warn: () => undefined, error: () => undefined };

/** The same call through each wrapper: the event's key and amount, a handler, a listener. */
interface Wrapper {
  readonly label: string;
  build(
    handler: (event: PayEvent) => Promise<unknown>,
    options: {
      store: IdempotencyStore;
      onOutcome: (o: IdempotencyOutcome) => void;
      cache?: RecordCache;
      name: string;
      logger?: IdempotencyLogger;
    },
  ): (event: PayEvent) => Promise<unknown>;
}

const wrappers: Wrapper[] = [
  {
    label: 'makeIdempotent',
    build: (handler, options) => {
      const wrapped = makeIdempotent(handler, { ...options, key: (e: PayEvent) => e.key, fingerprint: (e) => e.amount });
      return (event) => wrapped(event, lambdaContext());
    },
  },
  {
    label: 'idempotency() under Middy',
    build: (handler, options) => {
      const wrapped = middy<PayEvent, unknown, Error, Context>(handler).use(
        idempotency<PayEvent>({ ...options, key: (e) => e.key, fingerprint: (e) => e.amount }),
      );
      return (event) => wrapped(event, lambdaContext());
    },
  },
  {
    label: 'httpIdempotency() under Middy',
    build: (handler, options) => {
      const wrapped = middy<HttpEvent, unknown, Error, Context>(async (event: HttpEvent) => {
        const body = JSON.parse(String((event as { body?: string }).body)) as PayEvent;
        const result = await handler(body);
        return { statusCode: 201, body: JSON.stringify(result) };
      }).use(httpIdempotency({ ...options, scope: () => 'tenant-1' }));
      return (event) =>
        wrapped(
          httpV2({
            method: 'POST',
            body: JSON.stringify(event),
            headers: event.key === undefined ? {} : { 'Idempotency-Key': event.key },
          }),
          lambdaContext(),
        );
    },
  },
];

/** A store that passes through to DynamoDB Local, with faults switched on by the test. */
function faultyStore(): IdempotencyStore & { failClaims: boolean; loseCompletions: boolean } {
  return {
    failClaims: false,
    loseCompletions: false,
    async claim(record, nowMs) {
      if (this.failClaims) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
      return table.store.claim(record, nowMs);
    },
    async complete(record, owner) {
      if (this.loseCompletions) return false;
      return table.store.complete(record, owner);
    },
    release: (id, owner) => table.store.release(id, owner),
  };
}

describe.each(wrappers)('outcomes under $label', ({ build }) => {
  function setup(handler: (event: PayEvent) => Promise<unknown> = async (e) => ({ charged: e.amount }), cache?: RecordCache) {
    const outcomes: IdempotencyOutcome[] = [];
    const store = faultyStore();
    const name = `outcomes-${randomUUID()}`;
    const call = build(handler, { store, name, logger: quiet, onOutcome: (o) => outcomes.push(o), ...(cache ? { cache } : {}) });
    /** Calls once and returns the one outcome that call reported (failing if it reported none or several). */
    const outcomeOf = async (event: PayEvent): Promise<IdempotencyOutcome> => {
      const before = outcomes.length;
      await call(event).catch(() => undefined);
      expect(outcomes.length - before).toBe(1);
      return outcomes[outcomes.length - 1] as IdempotencyOutcome;
    };
    return { outcomes, store, name, call, outcomeOf };
  }

  it('reports executed, then replayed from the table, with the operation name and a duration', async () => {
    const { outcomeOf, name } = setup();
    const key = randomUUID();
    const first = await outcomeOf({ key, amount: 5 });
    expect(first).toMatchObject({ outcome: 'executed', name });
    expect(first.durationMs).toBeGreaterThan(0);
    expect(await outcomeOf({ key, amount: 5 })).toMatchObject({ outcome: 'replayed', replayedFrom: 'table' });
  });

  it('reports a replay from the cache as such', async () => {
    const { outcomeOf } = setup(undefined, new RecordCache());
    const key = randomUUID();
    await outcomeOf({ key, amount: 5 });
    expect(await outcomeOf({ key, amount: 5 })).toMatchObject({ outcome: 'replayed', replayedFrom: 'cache' });
  });

  it('reports mismatch, in_progress, released, completion_lost, store_error and key_missing', async () => {
    let release: () => void = () => undefined;
    let started: () => void = () => undefined;
    const slowStarted = new Promise<void>((resolve) => (started = resolve));
    const { outcomeOf, store, call, outcomes } = setup(async (e) => {
      if (e.amount === 13) throw new Error('declined');
      if (e.amount === 99) {
        started();
        await new Promise<void>((resolve) => (release = resolve));
      }
      return { charged: e.amount };
    });
    const key = randomUUID();
    await outcomeOf({ key, amount: 5 });
    expect((await outcomeOf({ key, amount: 6 })).outcome).toBe('mismatch');

    const slowKey = randomUUID();
    const slow = call({ key: slowKey, amount: 99 });
    await slowStarted;
    expect((await outcomeOf({ key: slowKey, amount: 99 })).outcome).toBe('in_progress');
    release();
    await slow;

    expect((await outcomeOf({ key: randomUUID(), amount: 13 })).outcome).toBe('released');
    store.loseCompletions = true;
    expect((await outcomeOf({ key: randomUUID(), amount: 7 })).outcome).toBe('completion_lost');
    store.loseCompletions = false;
    store.failClaims = true;
    expect((await outcomeOf({ key: randomUUID(), amount: 8 })).outcome).toBe('store_error');
    store.failClaims = false;
    expect((await outcomeOf({ amount: 9 })).outcome).toBe('key_missing');

    const names: OutcomeName[] = outcomes.map((o) => o.outcome);
    expect(names).toEqual(['executed', 'mismatch', 'in_progress', 'executed', 'released', 'completion_lost', 'store_error', 'key_missing']);
  });

  it('keeps the call working when onOutcome throws, and logs that it did', async () => {
    const errors: string[] = [];
    const call = build(async () => 'ok', {
      store: table.store,
      name: `outcomes-${randomUUID()}`,
      onOutcome: () => {
        throw new Error('telemetry down');
      },
    });
    const logger = vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    await expect(call({ key: randomUUID(), amount: 1 })).resolves.toBeDefined();
    expect(logger).toHaveBeenCalled();
    expect(errors.join()).toMatch(/onOutcome threw/);
  });
});

describe('emfMetrics', () => {
  it('writes one line per outcome in CloudWatch Embedded Metric Format', async () => {
    const lines: string[] = [];
    const handler = makeIdempotent(async () => 'ok', {
      store: table.store,
      name: 'emf-orders',
      key: (e: { k: string }) => e.k,
      onOutcome: emfMetrics({ namespace: 'RetrySafeTest', dimensions: { Service: 'orders' }, write: (l) => lines.push(l) }),
    });
    const k = randomUUID();
    await handler({ k }, lambdaContext());
    await handler({ k }, lambdaContext());

    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of [first, second]) assertEmf(line as Record<string, unknown>);
    expect(first).toMatchObject({ Operation: 'emf-orders', Service: 'orders', Executed: 1 });
    expect(second).toMatchObject({ Operation: 'emf-orders', Replayed: 1, ReplayedFrom: 'table' });
  });

  it('rejects a namespace CloudWatch would not take, when it is created', () => {
    expect(() => emfMetrics({ namespace: '' })).toThrow(/namespace/);
    expect(() => emfMetrics({ namespace: 'x'.repeat(256) })).toThrow(/namespace/);
  });
});

/**
 * The structure the EMF specification requires: `_aws` with an integer `Timestamp` and
 * `CloudWatchMetrics` directives; every dimension a top-level string member; every metric a
 * top-level number; units from CloudWatch's list.
 */
function assertEmf(line: Record<string, unknown>): void {
  const aws = line._aws as { Timestamp: unknown; CloudWatchMetrics: unknown };
  expect(Number.isInteger(aws.Timestamp)).toBe(true);
  expect(Array.isArray(aws.CloudWatchMetrics)).toBe(true);
  for (const directive of aws.CloudWatchMetrics as Array<Record<string, unknown>>) {
    expect(typeof directive.Namespace).toBe('string');
    const dimensionSets = directive.Dimensions as string[][];
    for (const set of dimensionSets) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const dimension of set) expect(typeof line[dimension]).toBe('string');
    }
    for (const metric of directive.Metrics as Array<{ Name: string; Unit: string }>) {
      expect(typeof line[metric.Name]).toBe('number');
      expect(['Count', 'Milliseconds']).toContain(metric.Unit);
    }
  }
}

describe('what is reported and logged', () => {
  it('never holds a raw key, payload or result, in any outcome, log line or EMF line', async () => {
    const secret = `SENTINEL-${randomUUID()}`;
    const written: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void written.push(args.map(String).join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void written.push(args.map(String).join(' ')));
    const outcomes: IdempotencyOutcome[] = [];
    const emf = emfMetrics({ namespace: 'RetrySafeTest', write: (l) => written.push(l) });
    const store = faultyStore();
    const handler = makeIdempotent(
      async (e: { key: string; card: string }) => {
        if (e.card.endsWith('throw')) throw new Error('declined');
        return { receipt: `${secret}-result` };
      },
      { store, name: 'sentinel', key: (e) => e.key, onOutcome: (o) => (outcomes.push(o), emf(o)) },
    );
    const key = `${secret}-key`;
    const run = (card: string) => handler({ key, card: `${secret}-${card}` }, lambdaContext()).catch(() => undefined);
    await run('card');
    await run('card'); // replay
    await run('other'); // mismatch
    store.loseCompletions = true;
    await handler({ key: `${secret}-k2`, card: 'x' }, lambdaContext());
    store.failClaims = true;
    await run('card'); // store error

    expect(outcomes.map((o) => o.outcome)).toEqual(['executed', 'replayed', 'mismatch', 'completion_lost', 'store_error']);
    expect(written.length).toBeGreaterThanOrEqual(7);
    const everything = [...written, JSON.stringify(outcomes)].join('\n');
    expect(everything).not.toContain(secret);
    // The default logger writes JSON lines.
    const logLines = written.filter((l) => !l.includes('"_aws"'));
    for (const line of logLines) expect(() => JSON.parse(line)).not.toThrow();
    expect(logLines.some((l) => (JSON.parse(l) as { message: string }).message.includes('different payload'))).toBe(true);
  });
});
