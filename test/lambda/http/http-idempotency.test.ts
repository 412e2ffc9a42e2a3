import { randomBytes, randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { httpIdempotency, type HttpEvent, type HttpIdempotencyOptions, type HttpResponse } from '../../../lambda/index.js';
import { createLocalTable, type LocalTable } from '../../support/local-table.js';
import { lambdaContext, recordingLogger } from '../../support/lambda-context.js';
import { header, SHAPES, type EventBuilder, type RequestSpec } from './events.js';

let table: LocalTable;

beforeAll(async () => {
  table = await createLocalTable('http');
});

type Handler = (event: HttpEvent) => Promise<unknown>;

/** A body with odd spacing: a replay must send these very bytes, not a re-serialization. */
const CREATED_BODY = '{"id": "o-1",   "amount":1250 }';

const created: Handler = async () => ({
  statusCode: 201,
  headers: { 'Content-Type': 'application/json', Location: '/orders/o-1' },
  body: CREATED_BODY,
});

function app(handlerFn: Handler = created, options: Partial<HttpIdempotencyOptions> = {}) {
  const handler = vi.fn(handlerFn);
  const wrapped = middy<HttpEvent, unknown, Error, Context>(handler).use(
    httpIdempotency({ store: table.store, name: `http-${randomUUID()}`, ...options }),
  );
  const call = async (event: HttpEvent) => (await wrapped(event, lambdaContext())) as HttpResponse;
  return { call, handler };
}

function problemOf(response: HttpResponse): Record<string, unknown> {
  expect(header(response, 'content-type')).toBe('application/problem+json');
  const body = JSON.parse(response.body ?? '') as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['detail', 'status', 'title', 'type']);
  expect(body.status).toBe(response.statusCode);
  expect(body.type).toMatch(/^tag:retry-safe,2026:problem:/);
  return body;
}

const post = (key: string | string[] | undefined, body = '{"amount":1250}', extra: RequestSpec = {}): RequestSpec => ({
  method: 'POST',
  path: '/orders',
  body,
  headers: key === undefined ? {} : { 'Idempotency-Key': key },
  ...extra,
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe.each(SHAPES)('httpIdempotency on a %s event', (shape, build: EventBuilder) => {
  const multiValueOnly = shape === 'ALB, multi-value headers';

  it('runs the handler once and replays status, headers and body byte for byte, marked Idempotent-Replayed', async () => {
    const { call, handler } = app();
    const key = randomUUID();
    const first = await call(build(post(key)));
    const again = await call(build(post(key)));

    expect(handler).toHaveBeenCalledTimes(1);
    expect(first.statusCode).toBe(201);
    expect(header(first, 'Idempotent-Replayed')).toBeUndefined();
    expect(again.statusCode).toBe(201);
    expect(again.body).toBe(CREATED_BODY);
    expect(header(again, 'Location')).toBe('/orders/o-1');
    expect(header(again, 'Content-Type')).toBe('application/json');
    expect(header(again, 'Idempotent-Replayed')).toBe('true');
    if (multiValueOnly) expect(again.multiValueHeaders?.['Idempotent-Replayed']).toEqual(['true']);
  });

  it('reads the header name case-insensitively', async () => {
    const { call, handler } = app();
    const key = randomUUID();
    await call(build(post(undefined, undefined, { headers: { 'IDEMPOTENCY-KEY': key } })));
    const again = await call(build(post(undefined, undefined, { headers: { 'idempotency-key': key } })));
    expect(handler).toHaveBeenCalledTimes(1);
    expect(header(again, 'Idempotent-Replayed')).toBe('true');
  });

  it('treats "abc" and abc as the same key', async () => {
    const { call, handler } = app();
    const key = randomUUID();
    await call(build(post(`"${key}"`)));
    const again = await call(build(post(key)));
    expect(handler).toHaveBeenCalledTimes(1);
    expect(header(again, 'Idempotent-Replayed')).toBe('true');
  });

  it('replays a request whose JSON body differs only in key order and whitespace', async () => {
    const { call, handler } = app();
    const key = randomUUID();
    await call(build(post(key, '{"amount":1250,"currency":"EUR"}')));
    const again = await call(build(post(key, '{ "currency": "EUR", "amount": 1250 }')));
    expect(handler).toHaveBeenCalledTimes(1);
    expect(again.statusCode).toBe(201);
  });

  const badKeys: ReadonlyArray<readonly [string, RequestSpec, string]> = [
    ['missing', post(undefined), 'idempotency-key-missing'],
    ['empty', post(''), 'idempotency-key-invalid'],
    ['256 characters long', post('k'.repeat(256)), 'idempotency-key-invalid'],
    ['non-ASCII', post('"clé"'), 'idempotency-key-invalid'],
    ['malformed', post('"unterminated'), 'idempotency-key-invalid'],
    ['two keys joined with a comma', post('a, b'), 'idempotency-key-invalid'],
  ];

  it.each(badKeys)('rejects a key that is %s with 400 problem+json, without running the handler', async (_, spec, slug) => {
    const { call, handler } = app();
    const response = await call(build(spec));
    expect(response.statusCode).toBe(400);
    expect(problemOf(response).type).toBe(`tag:retry-safe,2026:problem:${slug}`);
    expect(handler).not.toHaveBeenCalled();
  });

  // An ALB without multi-value headers passes only the last of repeated headers: nothing to detect.
  it.skipIf(shape === 'ALB')('rejects the header sent twice with 400, without running the handler', async () => {
    const { call, handler } = app();
    const response = await call(build(post([randomUUID(), randomUUID()])));
    expect(response.statusCode).toBe(400);
    expect(problemOf(response).detail).toMatch(/sent 2 times|holds a list/);
    expect(handler).not.toHaveBeenCalled();
  });

  it('stores nothing for a rejected request: the same key then runs normally', async () => {
    const { call, handler } = app();
    const key = randomUUID();
    expect((await call(build(post([key, key])))).statusCode).toBe(shape === 'ALB' ? 201 : 400);
    const later = await call(build(post(key)));
    expect(later.statusCode).toBe(201);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('rejects the same key with a different body with 422, leaving the stored response in place', async () => {
    const { call, handler } = app();
    const key = randomUUID();
    await call(build(post(key, '{"amount":1250}')));
    const reused = await call(build(post(key, '{"amount":9900}')));
    expect(reused.statusCode).toBe(422);
    expect(problemOf(reused).title).toMatch(/reused/);
    const again = await call(build(post(key, '{"amount":1250}')));
    expect(again.body).toBe(CREATED_BODY);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('rejects the same key on another path with 422', async () => {
    const { call } = app();
    const key = randomUUID();
    await call(build(post(key, '{}', { path: '/orders/1/refund' })));
    expect((await call(build(post(key, '{}', { path: '/orders/2/refund' })))).statusCode).toBe(422);
  });

  it('answers 409 with Retry-After while the first request runs, and 422 to a different request even then', async () => {
    const gate = deferred();
    const started = deferred();
    const { call, handler } = app(async () => {
      started.resolve();
      await gate.promise;
      return created({} as HttpEvent);
    });
    const key = randomUUID();
    const first = call(build(post(key)));
    await started.promise;

    const duplicate = await call(build(post(key)));
    const different = await call(build(post(key, '{"amount":1}')));
    gate.resolve();

    expect(duplicate.statusCode).toBe(409);
    expect(header(duplicate, 'Retry-After')).toMatch(/^[1-9][0-9]*$/);
    problemOf(duplicate);
    expect(different.statusCode).toBe(422);
    expect((await first).statusCode).toBe(201);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it.each([200, 204, 302, 400, 404, 409])('stores a %i response and replays it', async (status) => {
    const { call, handler } = app(async () => ({ statusCode: status, body: `status ${status}` }));
    const key = randomUUID();
    await call(build(post(key)));
    const again = await call(build(post(key)));
    expect(again.statusCode).toBe(status);
    expect(again.body).toBe(`status ${status}`);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it.each([429, 500, 502, 503])('does not store a %i response: a retry runs the handler again', async (status) => {
    const { call, handler } = app(async () => ({ statusCode: status, body: 'try again' }));
    const key = randomUUID();
    await call(build(post(key)));
    const again = await call(build(post(key)));
    expect(again.statusCode).toBe(status);
    expect(header(again, 'Idempotent-Replayed')).toBeUndefined();
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('stores a 5xx response with cacheServerErrors, but still never a 429', async () => {
    const { call: call500, handler: h500 } = app(async () => ({ statusCode: 500, body: 'boom' }), { cacheServerErrors: true });
    const key = randomUUID();
    await call500(build(post(key)));
    expect(header(await call500(build(post(key))), 'Idempotent-Replayed')).toBe('true');
    expect(h500).toHaveBeenCalledTimes(1);

    const { call: call429, handler: h429 } = app(async () => ({ statusCode: 429, body: 'slow down' }), { cacheServerErrors: true });
    await call429(build(post(key)));
    await call429(build(post(key)));
    expect(h429).toHaveBeenCalledTimes(2);
  });

  it('releases the key when the handler throws: the error propagates and a retry runs again', async () => {
    let attempt = 0;
    const { call, handler } = app(async () => {
      if (++attempt === 1) throw new Error('charge failed');
      return created({} as HttpEvent);
    });
    const key = randomUUID();
    await expect(call(build(post(key)))).rejects.toThrow('charge failed');
    expect((await call(build(post(key)))).statusCode).toBe(201);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('passes other methods through untouched, key or not', async () => {
    const { call, handler } = app(async () => ({ statusCode: 200, body: 'order' }));
    const key = randomUUID();
    await call(build({ method: 'GET', path: '/orders/1' }));
    await call(build({ method: 'GET', path: '/orders/1', headers: { 'Idempotency-Key': key } }));
    const third = await call(build({ method: 'GET', path: '/orders/1', headers: { 'Idempotency-Key': key } }));
    expect(handler).toHaveBeenCalledTimes(3);
    expect(header(third, 'Idempotent-Replayed')).toBeUndefined();
  });

  it('applies to PATCH by default and to the methods given in options.methods', async () => {
    const patch = app();
    expect((await patch.call(build({ method: 'PATCH', path: '/orders/1' }))).statusCode).toBe(400);
    const put = app(created, { methods: ['put'] });
    expect((await put.call(build({ method: 'PUT', path: '/orders/1' }))).statusCode).toBe(400);
    expect((await put.call(build(post(undefined)))).statusCode).toBe(201);
  });

  it('runs a request without a key, without idempotency, when required is false', async () => {
    const { call, handler } = app(created, { required: false });
    await call(build(post(undefined)));
    const second = await call(build(post(undefined)));
    expect(second.statusCode).toBe(201);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('keeps callers apart with options.scope', async () => {
    const tenant = { value: 'a' };
    const { call, handler } = app(created, { scope: () => tenant.value });
    const key = randomUUID();
    await call(build(post(key)));
    tenant.value = 'b';
    const other = await call(build(post(key, '{"amount":1}')));
    expect(other.statusCode).toBe(201);
    expect(handler).toHaveBeenCalledTimes(2);
  });
});

describe('httpIdempotency with HTTP API and Function URL results without statusCode', () => {
  it.each([
    ['HTTP API (v2)', SHAPES[1][1]],
    ['Function URL', SHAPES[2][1]],
  ])('replays a plain value returned to a %s as the 200 JSON response the service sent', async (_, build) => {
    const { call, handler } = app(async () => ({ id: 'o-1', amount: 1250 }));
    const key = randomUUID();
    const first = await call(build(post(key)));
    const again = await call(build(post(key)));
    expect(first).toEqual({ id: 'o-1', amount: 1250 });
    expect(again.statusCode).toBe(200);
    expect(JSON.parse(again.body ?? '')).toEqual(first);
    expect(header(again, 'Idempotent-Replayed')).toBe('true');
    expect(handler).toHaveBeenCalledTimes(1);
  });
});

describe('httpIdempotency scope: one key, two principals', () => {
  // Reset per test: one key that both principals send (the ALB case sets its header itself).
  let sharedKey = '';
  beforeEach(() => {
    sharedKey = randomUUID();
  });

  const cases: ReadonlyArray<readonly [string, EventBuilder, (who: string) => RequestSpec]> = [
    ['JWT sub (HTTP API JWT authorizer)', SHAPES[1][1], (who) => ({ authorizer: { jwt: { claims: { sub: who }, scopes: [] } } })],
    ['JWT sub (REST Cognito user pool authorizer)', SHAPES[0][1], (who) => ({ authorizer: { claims: { sub: who } } })],
    ['Cognito identity id (REST, IAM auth)', SHAPES[0][1], (who) => ({
      identity: { cognitoIdentityId: `us-east-1:${who}`, userArn: 'arn:aws:sts::1:assumed-role/shared-pool-role/s' },
    })],
    ['Cognito identity id (HTTP API, IAM auth)', SHAPES[1][1], (who) => ({
      authorizer: { iam: { cognitoIdentity: { identityId: `us-east-1:${who}` }, userArn: 'arn:aws:sts::1:assumed-role/shared/s' } },
    })],
    ['IAM user ARN (REST)', SHAPES[0][1], (who) => ({ identity: { userArn: `arn:aws:iam::1:user/${who}` } })],
    ['IAM user ARN (Function URL)', SHAPES[2][1], (who) => ({ authorizer: { iam: { userArn: `arn:aws:iam::1:user/${who}` } } })],
    ['Lambda authorizer principalId (REST)', SHAPES[0][1], (who) => ({ authorizer: { principalId: who } })],
    ['Lambda authorizer context principalId (HTTP API, simple responses)', SHAPES[1][1], (who) => ({
      authorizer: { lambda: { principalId: who, plan: 'pro' } },
    })],
    ['assumed role (HTTP API, IAM auth)', SHAPES[1][1], (who) => ({
      authorizer: { iam: { userArn: `arn:aws:sts::1:assumed-role/${who}-role/session-1` } },
    })],
    ['ALB OIDC identity', SHAPES[3][1], (who) => ({ headers: { 'Idempotency-Key': sharedKey, 'x-amzn-oidc-identity': who } })],
    ['REST API key id', SHAPES[0][1], (who) => ({ identity: { apiKeyId: `key-${who}` } })],
  ];

  it.each(cases)('never gives one caller another caller’s stored response, by %s', async (_, build, as) => {
    let runs = 0;
    const { call } = app(async () => ({ statusCode: 201, body: `order ${++runs}` }));
    const key = sharedKey;
    const alice = await call(build(post(key, '{"amount":1}', as('alice'))));
    const bob = await call(build(post(key, '{"amount":2}', as('bob'))));
    const aliceAgain = await call(build(post(key, '{"amount":1}', as('alice'))));

    expect(alice.body).toBe('order 1');
    expect(bob.statusCode).toBe(201);
    expect(bob.body).toBe('order 2');
    expect(header(bob, 'Idempotent-Replayed')).toBeUndefined();
    expect(aliceAgain.body).toBe('order 1');
    expect(header(aliceAgain, 'Idempotent-Replayed')).toBe('true');
  });

  it('replays to an assumed role after its credentials were refreshed (a new session name, the same role)', async () => {
    const { call, handler } = app();
    const key = randomUUID();
    const as = (session: string): RequestSpec =>
      post(key, '{"amount":1}', { identity: { userArn: `arn:aws:sts::1:assumed-role/orders-writer/${session}` } });
    await call(SHAPES[0][1](as('botocore-session-1700000000')));
    const again = await call(SHAPES[0][1](as('botocore-session-1700003600')));
    expect(header(again, 'Idempotent-Replayed')).toBe('true');
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('refuses a request that passed a Lambda authorizer naming no caller, before any store request, saying how to set scope', async () => {
    const requests: string[] = [];
    const store = {
      claim: (...args: Parameters<typeof table.store.claim>) => (requests.push('claim'), table.store.claim(...args)),
      complete: (...args: Parameters<typeof table.store.complete>) => (requests.push('complete'), table.store.complete(...args)),
      release: (...args: Parameters<typeof table.store.release>) => (requests.push('release'), table.store.release(...args)),
    };
    const { call, handler } = app(created, { store });
    const key = randomUUID();
    const aliceOrBob = post(key, '{"amount":1}', { authorizer: { lambda: { plan: 'pro' } } });

    await expect(call(SHAPES[1][1](aliceOrBob))).rejects.toThrow(/cannot tell callers apart.*options\.scope/s);

    expect(handler).not.toHaveBeenCalled();
    expect(requests).toEqual([]);
  });

  it('lets a request with such an authorizer run when options.scope names the caller', async () => {
    type WithUser = { requestContext: { authorizer: { lambda: { userId: string } } } };
    const { call, handler } = app(created, { scope: (event) => (event as unknown as WithUser).requestContext.authorizer.lambda.userId });
    const key = randomUUID();
    const as = (userId: string) => SHAPES[1][1](post(key, '{"amount":1}', { authorizer: { lambda: { userId } } }));
    await call(as('alice'));
    expect((await call(as('bob'))).statusCode).toBe(201);
    expect(header(await call(as('alice')), 'Idempotent-Replayed')).toBe('true');
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('shares keys between unauthenticated callers (no identity to scope by) and warns once that it does', async () => {
    const logger = recordingLogger();
    const { call, handler } = app(created, { logger });
    const key = randomUUID();
    await call(SHAPES[1][1](post(key)));
    expect((await call(SHAPES[1][1](post(key)))).statusCode).toBe(201);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(logger.warnings.filter((w) => /no caller identity/.test(w))).toHaveLength(1);
  });

  it('shares keys on purpose, without a warning, when options.scope returns undefined', async () => {
    const logger = recordingLogger();
    const { call } = app(created, { logger, scope: () => undefined });
    await call(SHAPES[1][1](post(randomUUID())));
    expect(logger.warnings).toEqual([]);
  });
});

describe('httpIdempotency edge cases', () => {
  it.each([
    ['REST API', SHAPES[0][1]],
    ['HTTP API', SHAPES[1][1]],
  ])('stores a response whose statusCode is text (%s), and replays it as it was sent', async (_, build) => {
    const { call, handler } = app(async () => ({ statusCode: '201', headers: { Location: '/orders/o-1' }, body: 'made' }));
    const key = randomUUID();
    const first = await call(build(post(key)));
    const again = await call(build(post(key)));

    expect(handler).toHaveBeenCalledTimes(1);
    expect(again.statusCode).toBe('201');
    expect(again.body).toBe('made');
    expect(header(again, 'Location')).toBe('/orders/o-1');
    expect(header(again, 'Idempotent-Replayed')).toBe('true');
    expect(first.statusCode).toBe('201');
  });

  it('releases, not stores, a 500 whose statusCode is text, so a retry runs', async () => {
    let runs = 0;
    const { call } = app(async () => (++runs === 1 ? { statusCode: '500', body: 'oops' } : { statusCode: 201, body: 'made' }));
    const key = randomUUID();
    expect((await call(SHAPES[0][1](post(key)))).statusCode).toBe('500');
    expect((await call(SHAPES[0][1](post(key)))).statusCode).toBe(201);
    expect(runs).toBe(2);
  });

  it('answers a retry with 409 response-not-stored when the first response was too large to keep, never running again', async () => {
    // Random bytes do not compress: well over DynamoDB's 400 KB item limit even deflated.
    const huge = randomBytes(600 * 1024).toString('base64');
    const logger = recordingLogger();
    const { call, handler } = app(async () => ({ statusCode: 200, body: huge }), { logger });
    const key = randomUUID();
    const first = await call(SHAPES[1][1](post(key)));
    expect(first.body).toBe(huge);
    const retry = await call(SHAPES[1][1](post(key)));
    expect(retry.statusCode).toBe(409);
    expect(header(retry, 'Retry-After')).toBeUndefined();
    expect(problemOf(retry).type).toBe('tag:retry-safe,2026:problem:response-not-stored');
    expect(handler).toHaveBeenCalledTimes(1);
    expect(logger.warnings.join()).toMatch(/not stored/);
  });

  it('fingerprints a body that an earlier body-parsing middleware already turned into an object', async () => {
    const handler = vi.fn(created);
    const wrapped = middy<HttpEvent, unknown, Error, Context>(handler)
      .use({
        before: async (request) => {
          const event = request.event as { body: unknown };
          event.body = JSON.parse(String(event.body));
        },
      })
      .use(httpIdempotency({ store: table.store, name: `http-${randomUUID()}` }));
    const key = randomUUID();
    const call = async (body: string) => (await wrapped(SHAPES[1][1](post(key, body)), lambdaContext())) as HttpResponse;
    await call('{"amount":1,"currency":"EUR"}');
    expect(header(await call('{"currency":"EUR", "amount":1}'), 'Idempotent-Replayed')).toBe('true');
    expect((await call('{"amount":2}')).statusCode).toBe(422);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('runs and replays a JSON body with a lone surrogate escape, not a crash', async () => {
    const { call, handler } = app();
    const key = randomUUID();
    const body = '{"note":"\\udc00"}';
    expect((await call(SHAPES[1][1](post(key, body)))).statusCode).toBe(201);
    expect(header(await call(SHAPES[1][1](post(key, body))), 'Idempotent-Replayed')).toBe('true');
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('answers 400, not a crash, for a REST event whose header maps are null (no headers sent)', async () => {
    const { call, handler } = app();
    const event = { ...SHAPES[0][1](post(undefined)), headers: null, multiValueHeaders: null } as unknown as HttpEvent;
    const response = await call(event);
    expect(response.statusCode).toBe(400);
    expect(problemOf(response).type).toBe('tag:retry-safe,2026:problem:idempotency-key-missing');
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('httpIdempotency setup', () => {
  it('rejects an event that is not an HTTP event, naming the middleware to use instead', async () => {
    const { handler } = app();
    const wrapped = middy<HttpEvent, unknown, Error, Context>(handler).use(
      httpIdempotency({ store: table.store, name: 'not-http' }),
    );
    await expect(wrapped({ Records: [] } as unknown as HttpEvent, lambdaContext())).rejects.toThrow(/use idempotency\(\)/);
    expect(handler).not.toHaveBeenCalled();
  });

  it('rejects an empty methods list when the middleware is created', () => {
    expect(() => httpIdempotency({ store: table.store, methods: [] })).toThrow(/options.methods/);
  });
});
