/**
 * FaultyStore injects the store failures users' handlers must survive, on a schedule: throttling,
 * timeouts, a completion whose answer is lost, a completion lost for good.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IdempotencyError, IdempotencyInProgressError, IdempotencyStoreError, makeIdempotent } from '../../../lambda/index.js';
import { FaultyStore, InMemoryStore, stepRecordOf, type Fault } from '../../../lambda/testing/index.js';
import { createLocalTable } from '../../support/local-table.js';
import { recordingLogger } from '../../support/lambda-context.js';
import { ORDER, shopWorld } from './shop-world.js';

const NO_CONTEXT = undefined as never;

describe('FaultyStore', () => {
  it('fails a throttled claim as a store error before the handler runs, then lets the next call through', async () => {
    const world = shopWorld();
    const fault = world.store.inject({ operation: 'claim', kind: 'throttle' });

    const failure = await world.handler(ORDER, NO_CONTEXT).catch((error: unknown) => error);
    const retry = await world.handler(ORDER, NO_CONTEXT);

    expect(failure).toBeInstanceOf(IdempotencyStoreError);
    expect((failure as Error).cause).toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(fault.struck).toBe(1);
    expect(world.runs()).toBe(1);
    expect(retry).toMatchObject({ chargeId: 'ch_1' });
  });

  it('survives a completion whose answer was lost: the engine\'s retry learns it landed, and a retry replays', async () => {
    const world = shopWorld();
    world.store.inject({ operation: 'complete', kind: 'timeout', when: 'after' });

    const first = await world.handler(ORDER, NO_CONTEXT);
    const retry = await world.handler(ORDER, NO_CONTEXT);

    expect(retry).toEqual(first);
    expect(world.runs()).toBe(1);
    expect(world.store.calls.filter((c) => c.operation === 'complete').map((c) => c.fault ?? 'ok')).toEqual(['timeout', 'ok']);
    // The retried completion answered true (the record kept its owner): nothing to warn about.
    expect(world.logger.warnings).toEqual([]);
    expect(world.logger.errors).toEqual([]);
  });

  it('loses a completion for good after four timeouts: retries wait for the lease, then re-run with the steps replayed', async () => {
    const world = shopWorld();
    world.store.inject({ operation: 'complete', kind: 'timeout', times: 4 });

    const first = await world.handler(ORDER, NO_CONTEXT);
    const during = await world.handler(ORDER, NO_CONTEXT).catch((error: unknown) => error);
    world.store.inner.lapseLeases();
    const after = await world.handler(ORDER, NO_CONTEXT);

    expect(world.logger.errors).toEqual(['retry-safe: result not stored; a retry after the lease runs again']);
    expect(during).toBeInstanceOf(IdempotencyInProgressError);
    expect(world.runs()).toBe(2);
    expect(after).toEqual(first);
    expect(world.payments.calls).toBe(1);
    expect(world.mailer.calls).toBe(1);
  });

  it('fails a replay whose kept-apart result read is throttled, without running the handler; the next retry replays', async () => {
    // A DynamoDBStore on DynamoDB Local keeps this ~27 KB result in an item of its own.
    const store = new FaultyStore((await createLocalTable('faulty')).store);
    const blob = randomBytes(20_000).toString('base64');
    let runs = 0;
    const handler = makeIdempotent(
      async () => {
        runs += 1;
        return { blob };
      },
      { store, name: 'export', key: (e: { id: string }) => e.id, logger: recordingLogger() },
    );
    const event = { id: randomUUID() };
    await handler(event, NO_CONTEXT);
    store.inject({ operation: 'readResult', kind: 'throttle' });

    const failure = await handler(event, NO_CONTEXT).catch((error: unknown) => error);
    const retry = await handler(event, NO_CONTEXT);

    expect(failure).toMatchObject({ name: 'IdempotencyStoreError', operation: 'read of the stored result' });
    expect(retry).toEqual({ blob });
    expect(runs).toBe(1);
  });

  it('strikes on schedule: skip lets the first matching call through, then times strikes that many', async () => {
    const world = shopWorld();
    const fault = world.store.inject({ operation: 'recordStep', kind: 'timeout', skip: 1, times: 4 });

    await world.handler(ORDER, NO_CONTEXT);

    const records = world.store.calls.filter((c) => c.operation === 'recordStep');
    expect(records.map((c) => c.fault ?? 'ok')).toEqual(['ok', 'timeout', 'timeout', 'timeout', 'timeout']);
    expect(new Set(records.slice(1).map((c) => c.id)).size).toBe(1);
    expect(records[1]?.id).not.toBe(records[0]?.id);
    expect(fault.struck).toBe(4);
    expect(world.logger.errors).toEqual(['retry-safe: could not record a step outcome']);
  });

  it('strikes only the records its id test picks', async () => {
    const world = shopWorld();
    const emailId = stepRecordOf('email');
    world.store.inject({ operation: 'recordStep', kind: 'throttle', id: emailId });

    await world.handler(ORDER, NO_CONTEXT);

    const records = world.store.calls.filter((c) => c.operation === 'recordStep');
    expect(records.map((c) => [emailId(c.id), c.fault ?? 'ok'])).toEqual([
      [false, 'ok'],
      [true, 'throttle'],
      [true, 'ok'],
    ]);
  });

  it('pauses a call until resumed, and crashes one for good', async () => {
    const world = shopWorld();
    const pause = world.store.inject({ operation: 'recordStep', kind: 'pause' });
    let settled = false;
    const running = world.handler(ORDER, NO_CONTEXT).then(() => (settled = true));

    await pause.reached;
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    pause.resume();
    await running;

    const crashed = shopWorld();
    const crash = crashed.store.inject({ operation: 'complete', kind: 'crash' });
    let crashedSettled = false;
    void crashed.handler(ORDER, NO_CONTEXT).finally(() => (crashedSettled = true));
    await crash.reached;
    await new Promise((resolve) => setImmediate(resolve));
    expect(crashedSettled).toBe(false);
    expect(crashed.store.inner.records().find((r) => !r.id.includes('#step#'))?.status).toBe('in-progress');
  });

  it.each([
    [{ operation: 'write', kind: 'crash' }, /fault.operation/],
    [{ operation: 'claim', kind: 'explode' }, /fault.kind/],
    [{ operation: 'claim', kind: 'crash', when: 'during' }, /fault.when/],
    [{ operation: 'claim', kind: 'crash', times: 0 }, /fault.times/],
    [{ operation: 'claim', kind: 'crash', skip: -1 }, /fault.skip/],
  ])('rejects a fault it cannot schedule: %o', (fault, message) => {
    const store = new FaultyStore(new InMemoryStore());
    expect(() => store.inject(fault as unknown as Fault)).toThrow(message);
  });

  it('rejects wrapping something that is not a store', () => {
    expect(() => new FaultyStore(undefined as never)).toThrow(IdempotencyError);
  });
});
