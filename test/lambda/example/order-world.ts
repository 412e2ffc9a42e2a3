/**
 * The example app's `POST /orders`, built with `createOrdersHandler` on fresh tables in the run's
 * DynamoDB Local, with faults injected into its one DynamoDB client: a call can hang forever (a
 * crashed invocation: no release, no completion) or throw, before it is sent or after its
 * response came back. The fakes' records are then counted straight from the orders table.
 */
import { randomUUID } from 'node:crypto';
import { PutItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { localClient } from '../../../scripts/dynamodb-local.js';
import { inventoryId } from '../../../lambda/example/inventory.js';
import { createOrdersHandler } from '../../../lambda/example/orders-api.js';
import { stepRecordId } from '../../../lambda/steps/step.js';
import type { HttpResponse } from '../../../lambda/http/http-response.js';
import { DEFAULT_LEASE_MS } from '../../../lambda/core/lease.js';
import type { Context } from 'aws-lambda';
import { lambdaContext } from '../../support/lambda-context.js';
import { createLocalOrdersTable, createLocalTable } from '../../support/local-table.js';
import { httpV2 } from '../http/events.js';

type Item = Record<string, AttributeValue>;

/** The steps of `POST /orders`, in the order a clean run takes them. */
export const ORDER_STEPS = ['open-order', 'read-stock', 'charge', 'take-stock', 'save-order', 'email', 'fulfil'] as const;
/** The steps whose function calls a fake downstream service (or writes the inventory or the order). */
export const DOWNSTREAM_STEPS: ReadonlySet<string> = new Set(['charge', 'take-stock', 'save-order', 'email', 'fulfil']);

/** One DynamoDB call, as the fault injection sees it. */
export interface Call {
  readonly command: string;
  readonly input: { TableName?: string; Item?: Item; Key?: Item; ConditionExpression?: string };
}

/** What an injected fault does: hang forever (a crash) or throw; before sending, or after the response. */
export interface Fault {
  readonly matches: (call: Call) => boolean;
  readonly when: 'before' | 'after';
  readonly action: 'crash' | { readonly throw: Error };
}

/** Matches the write that records a step as completed (at least once: a conditional `PutItem`). */
export const stepRecordWrite = (name: string) => (call: Call) =>
  call.command === 'PutItemCommand' && (call.input.Item?.id?.S ?? '').endsWith(stepRecordId('', name));

/** Matches the parent's completion: the conditional `PutItem` over its owner's claim on a parent record (not a step). */
export const completionWrite = (idempotencyTableName: string) => (call: Call) =>
  call.command === 'PutItemCommand' &&
  call.input.TableName === idempotencyTableName &&
  call.input.ConditionExpression === 'o = :o AND s = :p' &&
  !(call.input.Item?.id?.S ?? '').includes('#step#');

/** Matches the fake payment provider's write of the charge. */
export const chargeWrite = (call: Call) =>
  call.command === 'UpdateItemCommand' && (call.input.Key?.id?.S ?? '').startsWith('charge#');

/** What the orders table holds, by kind, with the calls each fake received. */
export interface Ledger {
  readonly orders: Item[];
  readonly charges: Item[];
  readonly refunds: Item[];
  readonly emails: Item[];
  readonly fulfilments: Item[];
  /** Calls received, summed over each kind's records. */
  readonly calls: { readonly charge: number; readonly refund: number; readonly email: number; readonly fulfilment: number };
  /** Stock and version of each inventory item, by SKU. */
  readonly inventory: Record<string, { stock: number; version: number }>;
}

/** A request's reply, as the client sees it. */
export interface Reply {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * A Lambda context without `getRemainingTimeInMillis`. With it, Middy would time a hung handler
 * out and run `onError` (which releases the claim): a graceful end, not a crash. Without it there
 * is no timer at all, as after a process death, and the claim's lease is the longest one.
 */
function crashableContext(): Context {
  const { getRemainingTimeInMillis: _unused, ...context } = lambdaContext();
  return context as Context;
}

/** Past the lease of an invocation without a remaining time (Lambda's longest timeout plus the margin). */
export const LEASE_LAPSED_MS = DEFAULT_LEASE_MS + 1_000;

/** The example on fresh tables, with fault injection and a ledger of what its fakes did. */
export async function orderWorld() {
  const idempotency = await createLocalTable('example-idem');
  const ordersTableName = await createLocalOrdersTable(idempotency);
  const faults: Fault[] = [];
  const calls: Call[] = [];
  let crashes = 0;
  const client = localClient(inject('dynamoDBEndpoint'));
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const call = { command: String(context.commandName), input: args.input as Call['input'] };
      calls.push(call);
      const index = faults.findIndex((f) => f.matches(call));
      if (index < 0) return next(args);
      const [fault] = faults.splice(index, 1);
      const strike = () => {
        if (fault.action !== 'crash') throw fault.action.throw;
        crashes += 1;
        return new Promise<never>(() => undefined);
      };
      if (fault.when === 'before') return strike();
      await next(args);
      return strike();
    },
    { step: 'initialize', name: 'injectFaults' },
  );
  const orders = { client, tableName: ordersTableName };
  const handler = createOrdersHandler(orders, idempotency.tableName);

  /** Sends `POST /orders` as an HTTP API event; a crashed invocation never settles. */
  async function post(key: string, body: unknown): Promise<Reply> {
    const event = httpV2({ method: 'POST', path: '/orders', headers: { 'Idempotency-Key': key }, body: JSON.stringify(body) });
    return toReply(await handler(event, crashableContext()));
  }

  async function get(path: string): Promise<Reply> {
    return toReply(await handler(httpV2({ method: 'GET', path }), lambdaContext()));
  }

  const ledger = () => readLedger(idempotency.client, ordersTableName);
  const stock = (sku: string, units: number) => stockProduct(idempotency.client, ordersTableName, sku, units);

  return {
    idempotencyTableName: idempotency.tableName,
    faults,
    /** Every DynamoDB call the example made, in order. */
    calls,
    crashes: () => crashes,
    post,
    get,
    ledger,
    stock,
    newKey: () => randomUUID(),
  };
}

/** What the orders table holds, by kind, with the calls each fake received. */
export async function readLedger(client: DynamoDBClient, ordersTableName: string): Promise<Ledger> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: ordersTableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  const kind = (prefix: string) => items.filter((i) => i.id?.S?.startsWith(`${prefix}#`));
  const calls = (records: Item[]) => records.reduce((sum, i) => sum + Number(i.calls?.N ?? 0), 0);
  const inventory: Ledger['inventory'] = {};
  for (const item of kind('inventory')) {
    inventory[item.sku?.S ?? ''] = { stock: Number(item.stock?.N), version: Number(item.version?.N) };
  }
  const charges = kind('charge');
  const refunds = kind('refund');
  const emails = kind('email');
  const fulfilments = kind('fulfilment');
  return {
    orders: items.filter((i) => !i.id?.S?.includes('#')),
    charges,
    refunds,
    emails,
    fulfilments,
    calls: { charge: calls(charges), refund: calls(refunds), email: calls(emails), fulfilment: calls(fulfilments) },
    inventory,
  };
}

/** Stocks a product before its first order (first use would stock the catalogue's amount). */
export async function stockProduct(client: DynamoDBClient, ordersTableName: string, sku: string, units: number): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: ordersTableName,
      Item: { id: { S: inventoryId(sku) }, sku: { S: sku }, stock: { N: String(units) }, version: { N: '1' } },
    }),
  );
}

/** The reply a client sees for a handler's response. */
export function toReply(response: HttpResponse): Reply {
  const headers = Object.fromEntries(Object.entries(response.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  return { statusCode: response.statusCode, headers, body: response.body ?? '' };
}

/** A reply with what a fresh order gets (its id, charge id and time) and the replay header blanked out. */
export function shapeOf(reply: Reply): unknown {
  const body = JSON.parse(reply.body) as Record<string, unknown>;
  const headers = { ...reply.headers };
  delete headers['idempotent-replayed'];
  if (headers.location) headers.location = headers.location.replace(String(body.id), '<id>');
  return { statusCode: reply.statusCode, headers, body: { ...body, id: '<id>', chargeId: '<charge>', createdAt: '<time>' } };
}
