/**
 * simulateRetries delivers an event the way the platform retries it, and simulateCrashes crashes
 * a first attempt at every point a retry can find: the kit must report what happened, and must
 * catch a handler that is not safe to retry.
 */
import { describe, expect, it } from 'vitest';
import { IdempotencyError, IdempotencyInProgressError, makeIdempotent, step, StepInterruptedError } from '../../../lambda/index.js';
import { FaultyStore, InMemoryStore, simulateCrashes, simulateRetries } from '../../../lambda/testing/index.js';
import { recordingLogger } from '../../support/lambda-context.js';
import { DedupingFake, ORDER, SHOP_STEPS, shopWorld, type Order } from './shop-world.js';

describe('simulateRetries', () => {
  it('delivers sequential retries: the first runs, the others replay its result', async () => {
    const world = shopWorld();

    const report = await simulateRetries(world.handler, ORDER, { store: world.store, attempts: 3 });

    expect(report.runs).toBe(1);
    expect(report.attempts.map((a) => [a.attempt, a.status, a.ran])).toEqual([
      [1, 'returned', true],
      [2, 'returned', false],
      [3, 'returned', false],
    ]);
    const [first, ...retries] = report.attempts;
    for (const retry of retries) expect(retry.status === 'returned' && retry.value).toEqual(first.status === 'returned' && first.value);
    expect(world.payments.calls).toBe(1);
  });

  it('delivers concurrent duplicates: exactly one runs, the others are told it is in progress', async () => {
    const world = shopWorld();

    const report = await simulateRetries(world.handler, ORDER, { store: world.store, attempts: 4, concurrent: true });

    expect(report.runs).toBe(1);
    const refused = report.attempts.filter((a) => a.status === 'threw');
    expect(refused).toHaveLength(3);
    for (const attempt of refused) expect(attempt.status === 'threw' && attempt.error).toBeInstanceOf(IdempotencyInProgressError);
    expect(world.payments.effects).toBe(1);
  });

  it('crashes the first attempt before its completion; after the lease lapses the retry runs, its steps replayed', async () => {
    const world = shopWorld();

    const report = await simulateRetries(world.handler, ORDER, {
      store: world.store,
      crash: { operation: 'complete', when: 'before' },
    });

    expect(report.attempts[0]).toMatchObject({ status: 'crashed', at: 'after the handler returned, before the completion write', ran: true });
    expect(report.attempts[1]).toMatchObject({ status: 'returned', ran: true, value: { chargeId: 'ch_1', messageId: 'msg_1' } });
    expect(world.payments.calls).toBe(1);
    expect(world.mailer.calls).toBe(1);
  });

  it('crashes between a step\'s work and its record: the retry repeats the request with the same key, not the effect', async () => {
    const world = shopWorld();

    const report = await simulateRetries(world.handler, ORDER, {
      store: world.store,
      crash: { operation: 'recordStep', nth: 1, when: 'before' },
      stepNames: SHOP_STEPS,
    });

    expect(report.attempts[0]).toMatchObject({ status: 'crashed', at: 'after step #1 ran, before its record' });
    expect(report.attempts[1]?.status).toBe('returned');
    expect(world.payments.calls).toBe(2);
    expect(world.payments.effects).toBe(1);
  });

  it('lets a paused first attempt\'s lease lapse mid-run: the retry takes over, both answer alike, the late completion is refused', async () => {
    const world = shopWorld();

    const report = await simulateRetries(world.handler, ORDER, {
      store: world.store,
      pause: { operation: 'recordStep', nth: 1, when: 'before' },
    });

    expect(report.runs).toBe(2);
    const [slow, takeover] = report.attempts;
    expect(slow?.status).toBe('returned');
    expect(slow?.status === 'returned' && slow.value).toEqual(takeover?.status === 'returned' && takeover.value);
    expect(world.payments.effects).toBe(1);
    expect(world.mailer.calls).toBe(1);
    expect(world.logger.warnings).toContain('retry-safe: lease lapsed before completion; result not stored');
  });

  it('races the retries after a crash: one takes over, the others are told it is in progress, one charge', async () => {
    const world = shopWorld();

    const report = await simulateRetries(world.handler, ORDER, {
      store: world.store,
      attempts: 4,
      concurrent: true,
      crash: { operation: 'complete', when: 'before' },
    });

    const [, ...racing] = report.attempts;
    expect(racing.filter((a) => a.ran)).toHaveLength(1);
    expect(racing.filter((a) => a.status === 'threw').map((a) => a.status === 'threw' && a.error)).toEqual([
      expect.any(IdempotencyInProgressError),
      expect.any(IdempotencyInProgressError),
    ]);
    expect(world.payments.effects).toBe(1);
  });

  it('reports the refusal an at-most-once step owes a retry after a crash between its start and its outcome', async () => {
    const world = () => {
      const store = new FaultyStore(new InMemoryStore());
      const payments = new DedupingFake('ch');
      const handler = makeIdempotent(
        async (order: Order) => ({ id: order.id, chargeId: await step('charge', (key) => payments.perform(key), { atMostOnce: true }) }),
        { store, name: 'orders', key: (order) => order.id, logger: recordingLogger() },
      );
      return { store, handler, payments };
    };
    const clean = world();
    const { crashPoints } = await simulateRetries(clean.handler, ORDER, { store: clean.store, attempts: 1, stepNames: ['charge'] });
    const crashed = world();
    const point = crashPoints.find((p) => p.operation === 'finishStep' && p.when === 'before');
    const report = await simulateRetries(crashed.handler, ORDER, { store: crashed.store, crash: point });

    expect(crashPoints.map((p) => p.label)).toContain('after step "charge" ran, before its outcome was written');
    expect(report.attempts[1]).toMatchObject({ status: 'threw', ran: true, error: expect.any(StepInterruptedError) });
    expect(crashed.payments.calls).toBe(1);
  });

  it('fails clearly when the first attempt never reaches the crash point', async () => {
    const world = shopWorld();

    await expect(
      simulateRetries(world.handler, ORDER, { store: world.store, crash: { operation: 'finishStep', when: 'before' } }),
    ).rejects.toThrow(/without reaching the crash point/);
    // The unreached crash is unscheduled, and a second simulation on the store reports its own attempts only.
    const again = await simulateRetries(world.handler, ORDER, { store: world.store, attempts: 1 });
    expect(again.attempts).toEqual([expect.objectContaining({ attempt: 1, status: 'returned', ran: false })]);
  });

  it.each([
    [{ store: new InMemoryStore() }, /FaultyStore over an InMemoryStore/],
    [{ store: new FaultyStore(new InMemoryStore()), attempts: 0 }, /attempts/],
    [{ store: new FaultyStore(new InMemoryStore()), crash: { operation: 'complete', when: 'before' }, attempts: 1 }, /at least 2/],
    [
      {
        store: new FaultyStore(new InMemoryStore()),
        crash: { operation: 'complete', when: 'before' },
        pause: { operation: 'complete', when: 'before' },
      },
      /not both/,
    ],
  ])('rejects options it cannot simulate (%#)', async (options, message) => {
    const world = shopWorld();
    await expect(simulateRetries(world.handler, ORDER, options as never)).rejects.toThrow(message);
    await expect(simulateRetries(world.handler, ORDER, options as never)).rejects.toBeInstanceOf(IdempotencyError);
  });
});

describe('simulateCrashes', () => {
  it('finds every crash point of a clean run, named by step', async () => {
    const { clean } = await simulateCrashes(() => shopWorld(), ORDER, { stepNames: SHOP_STEPS });

    expect(clean.report.crashPoints.map((p) => p.label)).toEqual([
      'after the claim, before the handler did anything',
      'after step "charge" ran, before its record',
      'after step "charge" was recorded',
      'after step "email" ran, before its record',
      'after step "email" was recorded',
      'after the handler returned, before the completion write',
      'after the completion write, before the response',
    ]);
  });

  it('proves a handler with steps retry-safe: every crash ends in the clean answer, each effect once', async () => {
    const { clean, crashes } = await simulateCrashes(() => shopWorld(), ORDER, { stepNames: SHOP_STEPS });
    const cleanAnswer = clean.report.attempts[0]?.status === 'returned' && clean.report.attempts[0].value;

    expect(crashes).toHaveLength(7);
    for (const { point, report, world } of crashes) {
      const last = report.attempts.at(-1);
      expect(last?.status === 'returned' && last.value, point.label).toEqual(cleanAnswer);
      expect(world.payments.effects, point.label).toBe(1);
      expect(world.mailer.effects, point.label).toBe(1);
    }
  });

  it('catches a handler that is not: a charge outside a step is made twice after a crash before completion', async () => {
    const { crashes } = await simulateCrashes(() => shopWorld({ naive: true }), ORDER);

    const doubled = crashes.filter(({ world }) => world.payments.effects > 1).map(({ point }) => point.label);

    // Every crash after the charge (its one step is the email) and before the result was stored.
    expect(doubled).toEqual([
      'after step #1 ran, before its record',
      'after step #1 was recorded',
      'after the handler returned, before the completion write',
    ]);
  });
});
