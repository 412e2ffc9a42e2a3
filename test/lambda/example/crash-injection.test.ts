/**
 * The proof: `POST /orders` of the example app, crashed at every point between its side effects
 * and their records, then retried until it succeeds. Every side effect happens exactly once and
 * the final response is the one a clean run gives.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DECLINED_PAYMENT_METHOD } from '../../../lambda/example/payment-provider.js';
import {
  DOWNSTREAM_STEPS,
  LEASE_LAPSED_MS,
  ORDER_STEPS,
  chargeWrite,
  completionWrite,
  orderWorld,
  shapeOf,
  stepRecordWrite,
  type Call,
  type Reply,
} from './order-world.js';

/** How long to wait for a background call to reach a point: generous, as a shared CI machine may be slow. */
const WAIT = { timeout: 10_000 };

afterEach(() => {
  vi.useRealTimers();
});

const ORDER = { amount: 1250, currency: 'EUR', sku: 'limited-print', quantity: 2, email: 'ada@example.com' };
const STOCK = 5;

type World = Awaited<ReturnType<typeof orderWorld>>;

interface CrashPoint {
  readonly name: string;
  readonly matches: (world: World) => (call: Call) => boolean;
  readonly when: 'before' | 'after';
  /** The step whose function runs a second time after this crash (at least once), if any. */
  readonly rerun?: string;
}

const CRASH_POINTS: CrashPoint[] = [
  ...ORDER_STEPS.flatMap((name): CrashPoint[] => [
    {
      name: `after the ${name} step's work, before its record`,
      matches: () => stepRecordWrite(name),
      when: 'before',
      rerun: name,
    },
    { name: `after the ${name} step's record, before the next step`, matches: () => stepRecordWrite(name), when: 'after' },
  ]),
  {
    name: 'after the handler returned, before the completion write',
    matches: (world) => completionWrite(world.idempotencyTableName),
    when: 'before',
  },
];

/** One order on a fresh world, no faults: what every crashed-and-retried run must end with. */
async function cleanRun(): Promise<Reply> {
  const world = await orderWorld();
  await world.stock(ORDER.sku, STOCK);
  return world.post(world.newKey(), ORDER);
}

/** Crashes the first attempt at `point`, lets its lease lapse, and returns the world and key. */
async function crashFirstAttempt(point: CrashPoint) {
  const world = await orderWorld();
  await world.stock(ORDER.sku, STOCK);
  world.faults.push({ matches: point.matches(world), when: point.when, action: 'crash' });
  const key = world.newKey();
  vi.useFakeTimers({ toFake: ['Date'] });
  const start = Date.now();
  void world.post(key, ORDER);
  await vi.waitFor(() => expect(world.crashes()).toBe(1), WAIT);
  vi.setSystemTime(start + LEASE_LAPSED_MS);
  return { world, key };
}

/** Retries until the request is no longer in progress (bounded), moving the clock past a lease if needed. */
async function retryUntilDone(world: World, key: string): Promise<{ reply: Reply; attempts: number }> {
  for (let attempts = 1; ; attempts++) {
    const reply = await world.post(key, ORDER);
    if (reply.statusCode !== 409 || !reply.body.includes('request-in-progress') || attempts >= 5) return { reply, attempts };
    vi.setSystemTime(Date.now() + LEASE_LAPSED_MS);
  }
}

/** Asserts each side effect happened once, the fakes got the calls expected, and one order exists. */
async function expectEachEffectOnce(world: World, reply: Reply, rerun?: string) {
  const ledger = await world.ledger();
  const order = JSON.parse(reply.body) as { id: string; chargeId: string };
  expect(ledger.orders.map((o) => o.id?.S)).toEqual([order.id]);
  expect(ledger.charges.map((c) => c.chargeId?.S)).toEqual([order.chargeId]);
  expect(ledger.emails).toHaveLength(1);
  expect(ledger.fulfilments).toHaveLength(1);
  expect(ledger.refunds).toHaveLength(0);
  expect(ledger.inventory[ORDER.sku]).toEqual({ stock: STOCK - ORDER.quantity, version: 2 });
  // At least once: only the interrupted step's function ran again, with the same key, so its fake saw a repeat.
  expect(ledger.calls).toEqual({
    charge: rerun === 'charge' ? 2 : 1,
    refund: 0,
    email: rerun === 'email' ? 2 : 1,
    fulfilment: rerun === 'fulfil' ? 2 : 1,
  });
}

describe('POST /orders crashed at every point, then retried', () => {
  it('covers every step of the example: a clean run records exactly these steps, in this order', async () => {
    const world = await orderWorld();
    await world.stock(ORDER.sku, STOCK);

    const reply = await world.post(world.newKey(), ORDER);

    expect(reply.statusCode).toBe(201);
    const stepWrites = world.calls.filter((c) => c.command === 'PutItemCommand' && c.input.Item?.id?.S?.includes('#step#'));
    const names = stepWrites.map((c) => ORDER_STEPS.find((name) => stepRecordWrite(name)(c)));
    expect(names).toEqual([...ORDER_STEPS]);
  });

  it.each(CRASH_POINTS.map((point) => [point.name, point] as const))(
    'does every side effect exactly once and answers as a clean run, crashed %s',
    async (_, point) => {
      const clean = await cleanRun();
      const { world, key } = await crashFirstAttempt(point);

      const { reply, attempts } = await retryUntilDone(world, key);

      expect(attempts).toBe(1);
      expect(reply.statusCode).toBe(201);
      expect(shapeOf(reply)).toEqual(shapeOf(clean));
      await expectEachEffectOnce(world, reply, DOWNSTREAM_STEPS.has(point.rerun ?? '') ? point.rerun : undefined);
      const again = await world.post(key, ORDER);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toBe(reply.body);
      const read = await world.get(`/orders/${(JSON.parse(reply.body) as { id: string }).id}`);
      expect(JSON.parse(read.body)).toEqual(JSON.parse(reply.body));
    },
  );

  it.each(CRASH_POINTS.map((point) => [point.name, point] as const))(
    'does every side effect exactly once when two retries race, crashed %s',
    async (_, point) => {
      const clean = await cleanRun();
      const { world, key } = await crashFirstAttempt(point);

      const racing = await Promise.all([world.post(key, ORDER), world.post(key, ORDER)]);
      const { reply } = await retryUntilDone(world, key);

      const created = racing.filter((r) => r.statusCode === 201);
      const conflicts = racing.filter((r) => r.statusCode === 409);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(created.length + conflicts.length).toBe(2);
      for (const conflict of conflicts) expect(JSON.parse(conflict.body)).toMatchObject({ status: 409, type: expect.stringMatching(/request-in-progress$/) });
      for (const r of created) expect(r.body).toBe(reply.body);
      expect(shapeOf(reply)).toEqual(shapeOf(clean));
      await expectEachEffectOnce(world, reply, DOWNSTREAM_STEPS.has(point.rerun ?? '') ? point.rerun : undefined);
    },
  );
});

describe('POST /orders when a side effect fails', () => {
  it('stores a declined card as 402 and replays it, with nothing else done and the provider asked once', async () => {
    const world = await orderWorld();
    await world.stock(ORDER.sku, STOCK);
    const key = world.newKey();
    const declined = { ...ORDER, paymentMethod: DECLINED_PAYMENT_METHOD };

    const first = await world.post(key, declined);
    const retry = await world.post(key, declined);

    expect(first.statusCode).toBe(402);
    expect(JSON.parse(first.body)).toMatchObject({ status: 402, type: expect.stringMatching(/:payment-declined$/) });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    const ledger = await world.ledger();
    expect(ledger.charges.map((c) => c.outcome?.S)).toEqual(['declined']);
    expect(ledger.calls).toEqual({ charge: 1, refund: 0, email: 0, fulfilment: 0 });
    expect(ledger.orders).toHaveLength(0);
    expect(ledger.inventory[ORDER.sku]).toEqual({ stock: STOCK, version: 1 });
  });

  it('answers the same 402 after a declined order crashed before its completion, with nothing charged', async () => {
    const world = await orderWorld();
    await world.stock(ORDER.sku, STOCK);
    const key = world.newKey();
    const declined = { ...ORDER, paymentMethod: DECLINED_PAYMENT_METHOD };
    const clean = await world.post(world.newKey(), declined);
    world.faults.push({ matches: completionWrite(world.idempotencyTableName), when: 'before', action: 'crash' });
    vi.useFakeTimers({ toFake: ['Date'] });
    void world.post(key, declined);
    await vi.waitFor(() => expect(world.crashes()).toBe(1), WAIT);
    vi.setSystemTime(Date.now() + LEASE_LAPSED_MS);

    const retry = await world.post(key, declined);

    const blankCharge = (body: string) => body.replace(/ch_[0-9a-f]+/, '<charge>');
    expect(retry.statusCode).toBe(402);
    expect(blankCharge(retry.body)).toBe(blankCharge(clean.body));
    const ledger = await world.ledger();
    // The crashed attempt and the retry asked the provider with one derived key and got one decline.
    const [ours] = ledger.charges.filter((c) => c.calls?.N === '2');
    expect(ours?.outcome?.S).toBe('declined');
    expect(retry.body).toContain(String(ours?.chargeId?.S));
    expect(ledger.charges.map((c) => c.outcome?.S)).toEqual(['declined', 'declined']);
    expect(ledger.calls).toEqual({ charge: 3, refund: 0, email: 0, fulfilment: 0 });
    expect(ledger.orders).toHaveLength(0);
    expect(ledger.inventory[ORDER.sku]).toEqual({ stock: STOCK, version: 1 });
  });

  it('releases the key when the provider\'s answer is lost (a 5xx), and the immediate retry charges once', async () => {
    const world = await orderWorld();
    await world.stock(ORDER.sku, STOCK);
    const key = world.newKey();
    // The charge is made, but its response never arrives: the step's function throws.
    world.faults.push({ matches: chargeWrite, when: 'after', action: { throw: new Error('socket hang up') } });

    await expect(world.post(key, ORDER)).rejects.toThrow('socket hang up');
    const { reply, attempts } = await retryUntilDone(world, key);

    expect(attempts).toBe(1);
    expect(reply.statusCode).toBe(201);
    await expectEachEffectOnce(world, reply, 'charge');
  });

  it('fails loudly with 409 and refunds when the stock moved on while the order was crashed', async () => {
    const point = CRASH_POINTS.find((p) => p.name === "after the read-stock step's record, before the next step");
    if (!point) throw new Error('crash point missing');
    const { world, key } = await crashFirstAttempt(point);
    // Another customer takes all but one unit while this order is down.
    const other = await world.post(world.newKey(), { ...ORDER, quantity: STOCK - 1 });
    expect(other.statusCode).toBe(201);

    const { reply } = await retryUntilDone(world, key);

    expect(reply.statusCode).toBe(409);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 409, type: expect.stringMatching(/:out-of-stock$/) });
    const ledger = await world.ledger();
    // The retry charged against the version it had recorded, lost the compare-and-swap, and refunded.
    expect(ledger.orders).toHaveLength(1);
    expect(ledger.charges).toHaveLength(2);
    const otherChargeId = (JSON.parse(other.body) as { chargeId: string }).chargeId;
    const ownChargeId = ledger.charges.map((c) => c.chargeId?.S).find((id) => id !== otherChargeId);
    expect(ledger.refunds.map((r) => r.chargeId?.S)).toEqual([ownChargeId]);
    expect(ledger.inventory[ORDER.sku]).toEqual({ stock: 1, version: 2 });
    expect(ledger.calls).toEqual({ charge: 2, refund: 1, email: 1, fulfilment: 1 });
    expect((await world.post(key, ORDER)).body).toBe(reply.body);
  });

  it('answers 409 stock-changed and refunds when another order moved the stock but enough is left', async () => {
    const point = CRASH_POINTS.find((p) => p.name === "after the read-stock step's record, before the next step");
    if (!point) throw new Error('crash point missing');
    const { world, key } = await crashFirstAttempt(point);
    const other = await world.post(world.newKey(), { ...ORDER, quantity: 1 });
    expect(other.statusCode).toBe(201);

    const { reply } = await retryUntilDone(world, key);

    expect(reply.statusCode).toBe(409);
    expect(JSON.parse(reply.body)).toMatchObject({ type: expect.stringMatching(/:stock-changed$/) });
    const ledger = await world.ledger();
    expect(ledger.inventory[ORDER.sku]).toEqual({ stock: STOCK - 1, version: 2 });
    expect(ledger.refunds).toHaveLength(1);
  });
});

describe('different orders racing for one product', () => {
  it('never sells a unit twice: each order is confirmed, or refunded with 409', async () => {
    const world = await orderWorld();
    await world.stock(ORDER.sku, STOCK);

    const replies = await Promise.all(Array.from({ length: 12 }, () => world.post(world.newKey(), { ...ORDER, quantity: 1 })));

    const confirmed = replies.filter((r) => r.statusCode === 201);
    const refused = replies.filter((r) => r.statusCode === 409);
    expect(confirmed.length + refused.length).toBe(replies.length);
    expect(confirmed.length).toBeGreaterThanOrEqual(1);
    expect(confirmed.length).toBeLessThanOrEqual(STOCK);
    const ledger = await world.ledger();
    expect(ledger.inventory[ORDER.sku].stock).toBe(STOCK - confirmed.length);
    expect(ledger.orders).toHaveLength(confirmed.length);
    // Refused before the charge (sold out at the read) or after it (lost the race, refunded).
    expect(ledger.charges.length - ledger.refunds.length).toBe(confirmed.length);
  });
});
