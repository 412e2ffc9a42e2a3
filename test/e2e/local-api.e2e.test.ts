/**
 * End to end: the local API (`npm start`'s server) over real HTTP, on the test run's DynamoDB
 * Local, running the very handler the CDK stack deploys.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { DeleteTableCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { claim, recordId, release } from '../../lambda/core/engine.js';
import { hashCanonical } from '../../lambda/core/hash.js';
import { DynamoDBStore } from '../../lambda/index.js';
import { CONCURRENT_DUPLICATES, formatOutcomes, playStories } from '../../scripts/demo-stories.js';
import { createIdempotencyTable, localClient } from '../../scripts/dynamodb-local.js';
import { startLocalApi, type LocalApi } from '../../scripts/local-api.js';

let api: LocalApi;
let client: DynamoDBClient;
const ordersTableVariable = process.env.ORDERS_TABLE_NAME;

beforeAll(async () => {
  const suffix = randomUUID();
  api = await startLocalApi({
    port: 0,
    dynamoDBEndpoint: inject('dynamoDBEndpoint'),
    idempotencyTableName: `e2e-idempotency-${suffix}`,
    ordersTableName: `e2e-orders-${suffix}`,
    onHandlerError: () => undefined,
  });
  client = localClient(api.dynamoDBEndpoint);
});

afterAll(async () => {
  await api?.close();
  client?.destroy();
});

const ORDER = { amount: 1250, currency: 'EUR' };

async function post(key: string | undefined, body: unknown = ORDER, headers: Record<string, string> = {}) {
  const init: RequestInit = {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
  const response = await fetch(`${api.url}/orders`, init);
  return { response, text: await response.text() };
}

/** Orders only: the example's fakes and inventory keep records in the same table under `<kind>#…` ids. */
async function orderCount(): Promise<number> {
  const out = await client.send(
    new ScanCommand({
      TableName: api.ordersTableName,
      Select: 'COUNT',
      ConsistentRead: true,
      FilterExpression: 'NOT contains(id, :hash)',
      ExpressionAttributeValues: { ':hash': { S: '#' } },
    }),
  );
  return out.Count ?? 0;
}

function expectProblem(response: Response, text: string, status: number): Record<string, unknown> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const problem = JSON.parse(text) as Record<string, unknown>;
  expect(problem).toMatchObject({ status });
  expect(typeof problem.type).toBe('string');
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
  return problem;
}

describe('the local API over HTTP', () => {
  it('creates an order once and replays the response byte for byte with Idempotent-Replayed: true', async () => {
    const key = randomUUID();
    const before = await orderCount();
    const first = await post(key);
    const retry = await post(key, { currency: 'EUR', amount: 1250 }); // same JSON, other key order

    expect(first.response.status).toBe(201);
    expect(first.response.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.response.headers.get('location')).toBe(first.response.headers.get('location'));
    expect(retry.text).toBe(first.text);
    expect(await orderCount()).toBe(before + 1);

    const order = JSON.parse(first.text) as { id: string };
    const read = await fetch(`${api.url}/orders/${order.id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(order);
    expect(order).toMatchObject({ ...ORDER, status: 'confirmed', quantity: 1, chargeId: expect.stringMatching(/^ch_/) });
  });

  it('decodes a binary (base64) body before comparing it: the same bytes sent as text replay', async () => {
    const key = randomUUID();
    const bytes = JSON.stringify(ORDER);
    const binary = await post(key, bytes, { 'content-type': 'application/octet-stream' });
    expect(binary.response.status).toBe(201);
    const text = await post(key, bytes, { 'content-type': 'application/json' });
    expect(text.response.headers.get('idempotent-replayed')).toBe('true');
    expect(text.text).toBe(binary.text);
  });

  it('treats a quoted key and the same bare key as one key', async () => {
    const key = randomUUID();
    await post(key);
    const quoted = await post(`"${key}"`);
    expect(quoted.response.headers.get('idempotent-replayed')).toBe('true');
  });

  it(`creates exactly one order from ${CONCURRENT_DUPLICATES} concurrent duplicates; the rest get 409 or the replay`, async () => {
    const key = randomUUID();
    const before = await orderCount();
    const replies = await Promise.all(Array.from({ length: CONCURRENT_DUPLICATES }, () => post(key)));

    const firsts = replies.filter((r) => r.response.status === 201 && !r.response.headers.get('idempotent-replayed'));
    const replays = replies.filter((r) => r.response.status === 201 && r.response.headers.get('idempotent-replayed') === 'true');
    const conflicts = replies.filter((r) => r.response.status === 409);
    expect(firsts).toHaveLength(1);
    expect(firsts.length + replays.length + conflicts.length).toBe(CONCURRENT_DUPLICATES);
    for (const replay of replays) expect(replay.text).toBe(firsts[0].text);
    for (const conflict of conflicts) expectProblem(conflict.response, conflict.text, 409);
    expect(await orderCount()).toBe(before + 1);
  });

  it('answers 409 with Retry-After while the first request runs, 422 to a different body even then, and runs once it is released', async () => {
    const key = randomUUID();
    // Stand in for a first request still running: hold its exact claim (same scope, name, key, fingerprint).
    const store = new DynamoDBStore({ tableName: api.idempotencyTableName, client });
    const fingerprint = hashCanonical({ method: 'POST', path: '/orders', query: {}, body: { json: ORDER } });
    const decision = await claim({ store, ttlSeconds: 60, logger: console }, recordId('orders', key), fingerprint, 30_000);
    if (decision.action !== 'run') throw new Error(`expected a fresh claim, got ${decision.action}`);

    const duplicate = await post(key);
    expectProblem(duplicate.response, duplicate.text, 409);
    expect(duplicate.response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    const different = await post(key, { amount: 1, currency: 'EUR' });
    expectProblem(different.response, different.text, 422);

    await release(decision.execution);
    expect((await post(key)).response.status).toBe(201);
  });

  it('rejects a key reused with a different body with 422 problem+json, creating nothing', async () => {
    const key = randomUUID();
    await post(key);
    const before = await orderCount();
    const reused = await post(key, { amount: 9900, currency: 'EUR' });
    expectProblem(reused.response, reused.text, 422);
    expect(await orderCount()).toBe(before);
  });

  it.each([
    ['missing', undefined, 'idempotency-key-missing'],
    ['empty', '', 'idempotency-key-invalid'],
    ['256 characters long', 'k'.repeat(256), 'idempotency-key-invalid'],
    ['malformed', '"open', 'idempotency-key-invalid'],
  ])('rejects a %s key with 400 problem+json, creating nothing', async (_, key, slug) => {
    const before = await orderCount();
    const { response, text } = await post(key);
    expect(expectProblem(response, text, 400).type).toBe(`tag:retry-safe,2026:problem:${slug}`);
    expect(await orderCount()).toBe(before);
  });

  it('rejects the header sent twice with 400 (joined with a comma on the way in)', async () => {
    const headers = new Headers({ 'content-type': 'application/json' });
    headers.append('Idempotency-Key', randomUUID());
    headers.append('Idempotency-Key', randomUUID());
    const response = await fetch(`${api.url}/orders`, { method: 'POST', headers, body: JSON.stringify(ORDER) });
    expectProblem(response, await response.text(), 400);
  });

  it('answers bad input with 400 problem+json from the handler, stored and replayed like any 4xx', async () => {
    const key = randomUUID();
    const first = await post(key, '{"amount": 12.5, "currency": "EUR"}');
    expect(expectProblem(first.response, first.text, 400).detail).toMatch(/amount/);
    const again = await post(key, '{"amount": 12.5, "currency": "EUR"}');
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(first.text);

    const notJson = await post(randomUUID(), '{"amount": ');
    expect(expectProblem(notJson.response, notJson.text, 400).detail).toMatch(/not JSON/);
  });

  it('reads an order that does not exist as 404 problem+json', async () => {
    const response = await fetch(`${api.url}/orders/${randomUUID()}`);
    expectProblem(response, await response.text(), 404);
  });

  it('plays every demo story as promised', async () => {
    const outcomes = await playStories(api.url);
    expect(outcomes.filter((o) => !o.ok), formatOutcomes(outcomes)).toEqual([]);
    expect(outcomes.length).toBeGreaterThanOrEqual(7);
  });

  it('fails with a clear message when the port is taken', async () => {
    await expect(startLocalApi({ port: api.port, dynamoDBEndpoint: api.dynamoDBEndpoint })).rejects.toThrow(
      /port \d+ on 127\.0\.0\.1 is already in use.*--port/,
    );
  });

  // Last: it takes the idempotency table away, then puts an empty one back.
  it('answers 503 problem+json without running the handler when the idempotency store fails', async () => {
    await client.send(new DeleteTableCommand({ TableName: api.idempotencyTableName }));
    try {
      const before = await orderCount();
      const { response, text } = await post(randomUUID());
      expectProblem(response, text, 503);
      expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(await orderCount()).toBe(before);
    } finally {
      await createIdempotencyTable(client, api.idempotencyTableName);
    }
  });
});

describe('shutting the local API down', () => {
  it('closes the server and restores the environment: the port refuses connections', async () => {
    const { port } = api;
    await api.close();
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    // The handler's environment is the server's while it runs, and the caller's again after.
    expect(process.env.ORDERS_TABLE_NAME).toBe(ordersTableVariable);
  });
});
