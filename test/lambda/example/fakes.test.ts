/**
 * The example's fake downstream services and inventory, against DynamoDB Local: each
 * deduplicates by its key the way the real service would, so the crash-injection proof can
 * count effects and calls.
 */
import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFulfilment } from '../../../lambda/example/fulfilment.js';
import { CATALOGUE, inventoryId, readStock, takeStock } from '../../../lambda/example/inventory.js';
import { sendEmail } from '../../../lambda/example/mailer.js';
import type { OrdersTable } from '../../../lambda/example/orders-table.js';
import {
  DECLINED_PAYMENT_METHOD,
  DEFAULT_PAYMENT_METHOD,
  PaymentDeclinedError,
  PaymentRequestMismatchError,
  chargeCard,
  refundCharge,
} from '../../../lambda/example/payment-provider.js';
import { VersionConflictError } from '../../../lambda/index.js';
import { createLocalOrdersTable, createLocalTable } from '../../support/local-table.js';

let table: OrdersTable;

beforeAll(async () => {
  const local = await createLocalTable('example-fakes');
  const tableName = await createLocalOrdersTable(local);
  table = { client: local.client, tableName };
});

async function calls(id: string): Promise<number> {
  const out = await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: { id: { S: id } }, ConsistentRead: true }));
  return Number(out.Item?.calls?.N ?? 0);
}

const charge = (idempotencyKey: string, paymentMethod = DEFAULT_PAYMENT_METHOD, amount = 1250) =>
  chargeCard(table, { idempotencyKey, amount, currency: 'EUR', paymentMethod, orderId: 'order-1' });

describe('the fake payment provider', () => {
  it('charges once per idempotency key: a repeat returns the first charge and is counted', async () => {
    const key = randomUUID();

    const first = await charge(key);
    const again = await charge(key);

    expect(first.id).toMatch(/^ch_[0-9a-f]{24}$/);
    expect(again).toEqual(first);
    expect(await calls(`charge#${key}`)).toBe(2);
  });

  it('agrees on one charge when the same key arrives many times at once', async () => {
    const key = randomUUID();

    const charges = await Promise.all(Array.from({ length: 10 }, () => charge(key)));

    expect(new Set(charges.map((c) => c.id)).size).toBe(1);
    expect(await calls(`charge#${key}`)).toBe(10);
  });

  it('rejects a declined card with PaymentDeclinedError, and the same decline again for the same key', async () => {
    const key = randomUUID();

    const first = await charge(key, DECLINED_PAYMENT_METHOD).catch((e: unknown) => e);
    const again = await charge(key, DECLINED_PAYMENT_METHOD).catch((e: unknown) => e);

    expect(first).toBeInstanceOf(PaymentDeclinedError);
    expect((again as PaymentDeclinedError).chargeId).toBe((first as PaymentDeclinedError).chargeId);
  });

  it('rejects a key reused with another amount, as Stripe does, keeping the first charge', async () => {
    const key = randomUUID();
    await charge(key);

    await expect(charge(key, DEFAULT_PAYMENT_METHOD, 999)).rejects.toBeInstanceOf(PaymentRequestMismatchError);
  });

  it('refunds once per idempotency key', async () => {
    const key = randomUUID();

    const first = await refundCharge(table, { idempotencyKey: key, chargeId: 'ch_1', amount: 1250 });
    const again = await refundCharge(table, { idempotencyKey: key, chargeId: 'ch_1', amount: 1250 });

    expect(again).toEqual(first);
    expect(first).toMatchObject({ id: expect.stringMatching(/^re_/), chargeId: 'ch_1' });
  });
});

describe('the fake mailer and workflow starter', () => {
  it('sends a message id once: a repeat returns the first send', async () => {
    const messageId = randomUUID();
    const message = { messageId, to: 'ada@example.com', subject: 'Order confirmed', text: 'Thanks' };

    const first = await sendEmail(table, message);
    const again = await sendEmail(table, { ...message, text: 'Thanks again' });

    expect(again).toEqual(first);
    expect(await calls(`email#${messageId}`)).toBe(2);
  });

  it('starts one run per workflow id', async () => {
    const workflowId = randomUUID();
    const request = { workflowId, orderId: 'order-1', sku: 'demo-widget', quantity: 1 };

    const first = await startFulfilment(table, request);
    const again = await startFulfilment(table, request);

    expect(again).toEqual(first);
    expect(first.runId).toMatch(/^run_/);
  });
});

describe('the inventory', () => {
  it('stocks a catalogue product once on first use, even when many first reads race', async () => {
    // No other test in this file touches this product: its item does not exist yet.
    const sku = 'limited-print';

    const levels = await Promise.all(Array.from({ length: 8 }, () => readStock(table, sku)));

    // One create-if-absent write won (version 1); the others read what it wrote.
    expect(levels).toEqual(Array.from({ length: 8 }, () => ({ sku, stock: CATALOGUE[sku], version: 1 })));
    expect(await calls(inventoryId(sku))).toBe(0);
  });

  it('takes stock against the version read, and rejects a write against a version that moved on', async () => {
    const seen = await readStock(table, 'demo-widget');
    const taken = await takeStock(table, { seen, quantity: 2, writeId: randomUUID() });

    expect(taken).toEqual({ sku: 'demo-widget', stock: seen.stock - 2, version: seen.version + 1 });
    await expect(takeStock(table, { seen, quantity: 1, writeId: randomUUID() })).rejects.toBeInstanceOf(VersionConflictError);
    expect(await readStock(table, 'demo-widget')).toEqual(taken);
  });

  it('recognizes its own write by write id when the same take is sent again', async () => {
    const seen = await readStock(table, 'demo-widget');
    const writeId = randomUUID();
    const taken = await takeStock(table, { seen, quantity: 1, writeId });

    expect(await takeStock(table, { seen, quantity: 1, writeId })).toEqual(taken);
  });

  it('rejects a product that is not in the catalogue instead of inventing stock', async () => {
    await expect(readStock(table, 'unicorn')).rejects.toThrow(/unknown product "unicorn"/);
  });
});
