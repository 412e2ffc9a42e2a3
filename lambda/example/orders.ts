/**
 * The example API the CDK example stack deploys and `npm start` serves locally:
 * `POST /orders` creates an order (idempotent by `Idempotency-Key`), `GET /orders/{id}` reads one.
 *
 * Environment: `IDEMPOTENCY_TABLE_NAME` (the idempotency table), `ORDERS_TABLE_NAME` (orders,
 * partition key `id` string).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { DynamoDBStore } from '../core/dynamodb-store.js';
import { httpIdempotency } from '../http/http-idempotency.js';
import { readHttpEvent, type HttpEvent } from '../http/http-event.js';
import type { HttpResponse } from '../http/http-response.js';
import { createOrder } from './create-order.js';
import { getOrder, type OrdersTable } from './orders-table.js';
import { json, problemJson } from './responses.js';

const ORDER_PATH = /^\/orders\/([A-Za-z0-9-]{1,64})$/;

/** Answers one request; exported so the routing can be tested without the middleware. */
export async function routeOrders(event: HttpEvent, orders: OrdersTable): Promise<HttpResponse> {
  const request = readHttpEvent(event);
  const path = request.path.replace(/\/+$/, '') || '/';
  if (path === '/orders') {
    if (request.method !== 'POST') return methodNotAllowed('POST');
    return createOrder(bodyText(request.body, request.isBase64Encoded), orders);
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

/** Builds the handler for these tables; the deployed `handler` is this with the environment's. */
export function createOrdersHandler(orders: OrdersTable, idempotencyTableName?: string) {
  const store = new DynamoDBStore({ tableName: idempotencyTableName, client: orders.client });
  return middy<HttpEvent, HttpResponse, Error, Context>()
    .use(httpIdempotency({ store, name: 'orders' }))
    .handler((event) => routeOrders(event, orders));
}

function ordersTableFromEnvironment(): OrdersTable {
  const tableName = process.env.ORDERS_TABLE_NAME;
  if (!tableName) throw new Error('ORDERS_TABLE_NAME is not set: the orders example needs its orders table');
  return { client: new DynamoDBClient({}), tableName };
}

/** The Lambda entry point (`lambda/example/orders.handler`). */
export const handler = createOrdersHandler(ordersTableFromEnvironment());
