/**
 * The crash-at-every-step proof again, with the testing kit (`retry-safe/testing`): the example's
 * `POST /orders` keeps its idempotency records in an InMemoryStore, crashed by simulateCrashes
 * at every point around every store write. Its fake payment provider, mailer, fulfilment and
 * inventory still live in the orders table in DynamoDB Local, as the deployed app's do. This
 * runs next to crash-injection.test.ts (the same proof with DynamoDB Local for the records too).
 */
import { randomUUID } from 'node:crypto';
import { inject, describe, expect, it } from 'vitest';
import { createOrdersTable, localClient } from '../../../scripts/dynamodb-local.js';
import { createOrdersHandler } from '../../../lambda/example/orders-api.js';
import type { HttpResponse } from '../../../lambda/index.js';
import { FaultyStore, InMemoryStore, simulateCrashes, simulateRetries } from '../../../lambda/testing/index.js';
import { httpV2 } from '../http/events.js';
import { ORDER_STEPS, readLedger, shapeOf, stockProduct, toReply, type Reply } from './order-world.js';

const ORDER = { amount: 1250, currency: 'EUR', sku: 'limited-print', quantity: 2, email: 'ada@example.com' };
const STOCK = 5;
const client = localClient(inject('dynamoDBEndpoint'));

/** A fresh world: the example's handler over a fresh orders table and an in-memory, fault-injecting store. */
async function ordersWorld() {
  const ordersTableName = `kit-orders-${randomUUID()}`;
  await createOrdersTable(client, ordersTableName);
  await stockProduct(client, ordersTableName, ORDER.sku, STOCK);
  const store = new FaultyStore(new InMemoryStore());
  const handler = createOrdersHandler({ client, tableName: ordersTableName }, store);
  return { handler, store, ledger: () => readLedger(client, ordersTableName) };
}

/** One order, as the client sends it: every attempt of a simulation delivers this same event. */
const orderEvent = () =>
  httpV2({ method: 'POST', path: '/orders', headers: { 'Idempotency-Key': randomUUID() }, body: JSON.stringify(ORDER) });

function lastReply(attempts: readonly { status: string; value?: unknown }[]): Reply {
  const last = attempts.at(-1);
  if (last?.status !== 'returned') throw new Error(`the last attempt did not return: ${JSON.stringify(last)}`);
  return toReply(last.value as HttpResponse);
}

describe('POST /orders under the testing kit', () => {
  it('does every side effect exactly once and answers as a clean run, crashed at every point', async () => {
    const event = orderEvent();

    const { clean, crashes } = await simulateCrashes(ordersWorld, event, { stepNames: ORDER_STEPS });

    const cleanReply = lastReply(clean.report.attempts);
    expect(cleanReply.statusCode).toBe(201);
    // After the claim, before and after each step's record, before and after the completion.
    expect(crashes).toHaveLength(1 + 2 * ORDER_STEPS.length + 2);
    for (const { point, report, world } of crashes) {
      const reply = lastReply(report.attempts);
      expect(report.attempts[0]?.status, point.label).toBe('crashed');
      expect(shapeOf(reply), point.label).toEqual(shapeOf(cleanReply));
      const ledger = await world.ledger();
      const order = JSON.parse(reply.body) as { id: string; chargeId: string };
      expect(ledger.orders.map((o) => o.id?.S), point.label).toEqual([order.id]);
      expect(ledger.charges.map((c) => c.chargeId?.S), point.label).toEqual([order.chargeId]);
      expect([ledger.emails.length, ledger.fulfilments.length, ledger.refunds.length], point.label).toEqual([1, 1, 0]);
      expect(ledger.inventory[ORDER.sku], point.label).toEqual({ stock: STOCK - ORDER.quantity, version: 2 });
      // Only a step interrupted before its record runs again, with the same key: its fake sees a repeat, not a second effect.
      const rerun = point.operation === 'recordStep' && point.when === 'before' ? ORDER_STEPS[(point.nth ?? 1) - 1] : undefined;
      expect(ledger.calls, point.label).toEqual({
        charge: rerun === 'charge' ? 2 : 1,
        refund: 0,
        email: rerun === 'email' ? 2 : 1,
        fulfilment: rerun === 'fulfil' ? 2 : 1,
      });
    }
  });

  it('runs one of four racing duplicates; the others get 409 request-in-progress, and one order is made', async () => {
    const world = await ordersWorld();

    const report = await simulateRetries(world.handler, orderEvent(), { store: world.store, attempts: 4, concurrent: true });

    const replies = report.attempts.map((a) => lastReply([a]));
    expect(report.runs).toBe(1);
    expect(replies.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409]);
    const ledger = await world.ledger();
    expect(ledger.orders).toHaveLength(1);
    expect(ledger.calls).toEqual({ charge: 1, refund: 0, email: 1, fulfilment: 1 });
  });

  it('lets a slow first attempt\'s lease lapse while a retry takes over: one order, one charge, the same answer', async () => {
    const world = await ordersWorld();

    const report = await simulateRetries(world.handler, orderEvent(), {
      store: world.store,
      pause: { operation: 'recordStep', nth: ORDER_STEPS.indexOf('charge') + 1, when: 'before' },
    });

    const [slow, takeover] = report.attempts.map((a) => lastReply([a]));
    expect(report.runs).toBe(2);
    expect(slow?.body).toBe(takeover?.body);
    const ledger = await world.ledger();
    expect(ledger.orders).toHaveLength(1);
    expect(ledger.charges).toHaveLength(1);
    expect(ledger.calls).toEqual({ charge: 2, refund: 0, email: 1, fulfilment: 1 });
  });
});
