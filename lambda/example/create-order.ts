import { randomUUID } from 'node:crypto';
import { step } from '../steps/step.js';
import { VersionConflictError } from '../steps/errors.js';
import type { HttpResponse } from '../http/http-response.js';
import { startFulfilment } from './fulfilment.js';
import { readStock, stockOf, takeStock } from './inventory.js';
import { sendEmail, type EmailMessage } from './mailer.js';
import { parseOrderInput, type OrderInput } from './order-input.js';
import { putOrder, type Order, type OrdersTable } from './orders-table.js';
import { chargeCard, PaymentDeclinedError, refundCharge, type Charge } from './payment-provider.js';
import { json, problemJson } from './responses.js';

/**
 * `POST /orders`, the essay's order: check the stock, charge the card, take the stock, save the
 * order, send the confirmation, start fulfilment. `httpIdempotency()` runs it once per
 * Idempotency-Key; each side effect is a `step`, so a retry after a crash skips the ones that
 * completed and re-runs the interrupted one with the same derived key.
 *
 * Every step is at least once (the default): each downstream deduplicates by the key the step
 * passes it (the provider's idempotency key, the mailer's message id, the workflow id, the
 * compare-and-swap write id), so a re-run repeats the request, never the effect. At most once
 * would turn a crash between an effect and its record into a `StepInterruptedError` for every
 * retry: right only for a downstream that cannot deduplicate, and none here is like that.
 *
 * The response is built from step results and the input only, so every retry returns the same.
 *
 * @param context the handler's Lambda context: it carries the execution `step` records under
 */
export async function createOrder(body: string | undefined, orders: OrdersTable, context: object): Promise<HttpResponse> {
  const input = parseOrderInput(body);
  if ('error' in input) return problemJson(400, 'invalid-order', 'Invalid order', input.error);

  // Not a side effect, but a fresh id and time per attempt would make every retry a new order.
  const opened = await step('open-order', openOrder, { context });
  // Recorded, so every retry compares against the version the first attempt read (the essay's third pattern).
  const seen = await step('read-stock', () => readStock(orders, input.sku), { context });
  if (seen.stock < input.quantity) return outOfStock(input, seen.stock);

  let charge: Charge;
  try {
    const { amount, currency, paymentMethod } = input;
    charge = await step(
      'charge',
      (key) => chargeCard(orders, { idempotencyKey: key, amount, currency, paymentMethod, orderId: opened.id }),
      { context },
    );
  } catch (error) {
    // A decline is the answer for this request: a 4xx, stored, so a retry gets it again.
    if (error instanceof PaymentDeclinedError) {
      const detail = `the card was declined (charge ${error.chargeId}); nothing was ordered`;
      return problemJson(402, 'payment-declined', 'Payment declined', detail);
    }
    throw error;
  }

  try {
    // The write id is the step key: a re-run after a crash between this write and its record finds its own write.
    await step('take-stock', (key) => takeStock(orders, { seen, quantity: input.quantity, writeId: key }), { context });
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    // Another order moved the stock since it was read: fail loudly, and give the money back.
    const refund = await step(
      'refund',
      (key) => refundCharge(orders, { idempotencyKey: key, chargeId: charge.id, amount: input.amount }),
      { context },
    );
    const left = stockOf(error.item);
    if (left < input.quantity) return outOfStock(input, left, refund.id);
    const detail =
      `the stock of ${input.sku} changed while this order was placed; the charge was refunded (${refund.id}); ` +
      'place the order again with a new Idempotency-Key';
    return problemJson(409, 'stock-changed', 'Stock changed', detail);
  }

  const order: Order = {
    id: opened.id,
    status: 'confirmed',
    amount: input.amount,
    currency: input.currency,
    sku: input.sku,
    quantity: input.quantity,
    email: input.email,
    chargeId: charge.id,
    createdAt: opened.createdAt,
  };
  await step('save-order', () => putOrder(orders, order), { context });
  await step('email', (key) => sendEmail(orders, confirmation(order, key)), { context });
  const fulfilment = { orderId: order.id, sku: order.sku, quantity: order.quantity };
  await step('fulfil', (key) => startFulfilment(orders, { workflowId: key, ...fulfilment }), { context });
  return json(201, order, { Location: `/orders/${order.id}` });
}

function openOrder(): { readonly id: string; readonly createdAt: string } {
  return { id: randomUUID(), createdAt: new Date().toISOString() };
}

function confirmation(order: Order, messageId: string): EmailMessage {
  return {
    messageId,
    to: order.email,
    subject: `Order ${order.id} confirmed`,
    text: `We charged ${order.amount} ${order.currency} minor units for ${order.quantity} × ${order.sku}.`,
  };
}

function outOfStock(input: OrderInput, left: number, refundId?: string): HttpResponse {
  const refunded = refundId ? `; the charge was refunded (${refundId})` : '; nothing was charged';
  return problemJson(409, 'out-of-stock', 'Out of stock', `${input.quantity} × ${input.sku} ordered, ${left} left${refunded}`);
}
