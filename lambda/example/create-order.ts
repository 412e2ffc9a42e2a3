import { randomUUID } from 'node:crypto';
import type { HttpResponse } from '../http/http-response.js';
import { parseOrderInput } from './order-input.js';
import { putOrder, type Order, type OrdersTable } from './orders-table.js';
import { json, problemJson } from './responses.js';

/**
 * `POST /orders`: validates the body and creates the order. A realistic stand-in for a
 * payment API: it runs once per Idempotency-Key because `httpIdempotency()` wraps it.
 * Later steps of a multi-step order (charge, email, inventory, fulfilment) go here, after the
 * input is valid and in order, each writing what it did before the response is returned.
 */
export async function createOrder(body: string | undefined, orders: OrdersTable): Promise<HttpResponse> {
  const input = parseOrderInput(body);
  if ('error' in input) return problemJson(400, 'invalid-order', 'Invalid order', input.error);
  const order: Order = {
    id: randomUUID(),
    amount: input.amount,
    currency: input.currency,
    createdAt: new Date().toISOString(),
  };
  await putOrder(orders, order);
  return json(201, order, { Location: `/orders/${order.id}` });
}
