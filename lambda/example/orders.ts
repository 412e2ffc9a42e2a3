/**
 * The example API the CDK example stack deploys and `npm start` serves locally:
 * `POST /orders` creates an order (idempotent by `Idempotency-Key`), `GET /orders/{id}` reads one.
 *
 * Environment: `IDEMPOTENCY_TABLE_NAME` (the idempotency table), `ORDERS_TABLE_NAME` (orders,
 * partition key `id` string), and optionally `METRICS_NAMESPACE`: when set, each call's outcome
 * is written as a CloudWatch EMF metric in that namespace (the example stack sets it).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { emfMetrics } from '../ops/emf-metrics.js';
import { createOrdersHandler } from './orders-api.js';
import type { OrdersTable } from './orders-table.js';

function ordersTableFromEnvironment(): OrdersTable {
  const tableName = process.env.ORDERS_TABLE_NAME;
  if (!tableName) throw new Error('ORDERS_TABLE_NAME is not set: the orders example needs its orders table');
  return { client: new DynamoDBClient({}), tableName };
}

const metricsNamespace = process.env.METRICS_NAMESPACE;

/** The Lambda entry point (`lambda/example/orders.handler`). */
export const handler = createOrdersHandler(
  ordersTableFromEnvironment(),
  undefined,
  metricsNamespace ? emfMetrics({ namespace: metricsNamespace }) : undefined,
);
