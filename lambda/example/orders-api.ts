/**
 * The example API's routes and handler factory: `POST /orders` (idempotent by `Idempotency-Key`,
 * each side effect a step) and `GET /orders/{id}`. Free of environment reads, so tests build it
 * for their own tables; `orders.ts` is the deployed entry point.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { DynamoDBStore } from '../core/dynamodb-store.js';
import type { IdempotencyStore } from '../core/store.js';
import { httpIdempotency } from '../http/http-idempotency.js';
import { readHttpEvent, type HttpEvent } from '../http/http-event.js';
import type { HttpResponse } from '../http/http-response.js';
import type { OutcomeListener } from '../core/outcome.js';
import { createOrder } from './create-order.js';
import { getOrder, type OrdersTable } from './orders-table.js';
import { json, problemJson } from './responses.js';

const ORDER_PATH = /^\/orders\/([A-Za-z0-9-]{1,64})$/;

/**
 * Answers one request. `POST /orders` runs steps, so its `context` must be the one
 * `httpIdempotency()` hands the handler; `GET` needs none.
 */
export async function routeOrders(event: HttpEvent, orders: OrdersTable, context: object): Promise<HttpResponse> {
  const request = readHttpEvent(event);
  const path = request.path.replace(/\/+$/, '') || '/';
  if (path === '/orders') {
    if (request.method !== 'POST') return methodNotAllowed('POST');
    return createOrder(bodyText(request.body, request.isBase64Encoded), orders, context);
  }
  const match = ORDER_PATH.exec(path);
  if (match) {
    if (request.method !== 'GET') return methodNotAllowed('GET');
    const order = await getOrder(orders, match[1]);
    return order
      ? json(200, order)
      : problemJson(404, 'order-not-found', 'Order not found', `there is no order with id ${match[1]}`);
  }
  return problemJson(404, 'route-not-found', 'Not found', `no route for ${request.method} ${request.path}; try POST /orders or GET /orders/{id}`);
}

function bodyText(body: unknown, isBase64Encoded: boolean): string | undefined {
  if (typeof body !== 'string') return undefined;
  return isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

function methodNotAllowed(allowed: string): HttpResponse {
  const response = problemJson(405, 'method-not-allowed', 'Method not allowed', `this resource accepts ${allowed}`);
  return { ...response, headers: { ...response.headers, Allow: allowed } };
}

/** The example's operation name: the `Operation` dimension of its metrics and the prefix of its record ids. */
export const ORDERS_OPERATION = 'orders';

/**
 * Builds the handler for these tables; the deployed `handler` is this with the environment's.
 * @param idempotency the idempotency table's name, or a store to keep records in (a test's
 *   `InMemoryStore` from `retry-safe/testing`)
 * @param onOutcome receives each call's outcome (the deployed handler writes CloudWatch EMF metrics)
 * @default - the `IDEMPOTENCY_TABLE_NAME` environment variable's table
 */
export function createOrdersHandler(orders: OrdersTable, idempotency?: string | IdempotencyStore, onOutcome?: OutcomeListener) {
  const store =
    typeof idempotency === 'object' ? idempotency : new DynamoDBStore({ tableName: idempotency, client: orders.client });
  return middy<HttpEvent, HttpResponse, Error, Context>()
    // The example API is public (no authorizer), so its clients share one key space, on purpose:
    // a real API adds an authorizer and drops this line, and keys are then kept apart per caller.
    .use(httpIdempotency({ store, name: ORDERS_OPERATION, scope: () => undefined, onOutcome }))
    .handler((event, context) => routeOrders(event, orders, context));
}
