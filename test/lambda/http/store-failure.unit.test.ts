import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoDBStore, httpIdempotency, type HttpEvent, type HttpResponse } from '../../../lambda/index.js';
import { lambdaContext, recordingLogger } from '../../support/lambda-context.js';
import { completionCalls } from '../../support/completion-calls.js';
import { SHAPES } from './events.js';

const ddb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'us-east-1', maxAttempts: 1 });

afterEach(() => ddb.reset());

function app() {
  const logger = recordingLogger();
  const handler = vi.fn(async () => ({ statusCode: 201, body: 'created' }));
  const wrapped = middy<HttpEvent, unknown, Error, Context>(handler).use(
    httpIdempotency({ store: new DynamoDBStore({ tableName: 'idempotency', client }), name: 'orders', logger }),
  );
  return { call: async (e: HttpEvent) => (await wrapped(e, lambdaContext())) as HttpResponse, handler, logger };
}

const throttled = () =>
  new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} });
const networkDown = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });

describe.each(SHAPES)('httpIdempotency on a %s event when the store fails before the handler', (_, build) => {
  it.each([
    ['throttling', throttled],
    ['a network error', networkDown],
  ])('answers 503 problem+json with Retry-After on %s, without running the handler', async (_, fault) => {
    ddb.on(PutItemCommand).rejects(fault());
    const { call, handler, logger } = app();

    const response = await call(build({ method: 'POST', path: '/orders', body: '{}', headers: { 'Idempotency-Key': 'k-1' } }));

    expect(response.statusCode).toBe(503);
    const headers = { ...response.headers, ...response.multiValueHeaders };
    expect(String(headers['Content-Type'])).toBe('application/problem+json');
    expect(String(headers['Retry-After'])).toMatch(/^[1-9]\d*$/);
    const body = JSON.parse(response.body ?? '') as Record<string, unknown>;
    expect(body).toMatchObject({ status: 503, type: 'tag:retry-safe,2026:problem:idempotency-store-unavailable' });
    // SDK messages are for operators, not clients: logged, never sent.
    expect(response.body).not.toMatch(/ECONNREFUSED|throughput/);
    expect(logger.errors).toHaveLength(1);
    expect(handler).not.toHaveBeenCalled();
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(1);
    expect(completionCalls(ddb)).toHaveLength(0);
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });
});

describe('httpIdempotency request pattern', () => {
  it('sends exactly a conditional claim and a completion for a first request', async () => {
    ddb.on(PutItemCommand).resolves({});
    const { call, handler } = app();
    const response = await call(SHAPES[1][1]({ method: 'POST', path: '/orders', body: '{}', headers: { 'Idempotency-Key': 'k-2' } }));
    expect(response.statusCode).toBe(201);
    expect(handler).toHaveBeenCalledTimes(1);
    const claim = ddb.commandCalls(PutItemCommand)[0].args[0].input;
    expect(claim.ConditionExpression).toContain('attribute_not_exists(id)');
    // The raw client key is never stored: the id is the operation name and a hash.
    expect(claim.Item?.id.S).toMatch(/^orders#[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(claim)).not.toContain('k-2');
    expect(completionCalls(ddb)).toHaveLength(1);
    expect(ddb.calls()).toHaveLength(2);
  });

  it('sends a conditional release, not a completion, when the handler answers 500', async () => {
    ddb.on(PutItemCommand).resolves({}).on(DeleteItemCommand).resolves({});
    const logger = recordingLogger();
    const wrapped = middy<HttpEvent, unknown, Error, Context>(async () => ({ statusCode: 500, body: 'down' })).use(
      httpIdempotency({ store: new DynamoDBStore({ tableName: 'idempotency', client }), name: 'orders', logger }),
    );
    await wrapped(SHAPES[0][1]({ method: 'POST', path: '/orders', body: '{}', headers: { 'Idempotency-Key': 'k-3' } }), lambdaContext());
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(1);
    expect(ddb.commandCalls(DeleteItemCommand)[0].args[0].input.ConditionExpression).toContain('o = :o');
    expect(completionCalls(ddb)).toHaveLength(0);
  });
});
