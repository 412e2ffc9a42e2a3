import { randomBytes, randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RequestCounter } from '../../../bench/request-counter.js';
import {
  DEFAULT_WEBHOOK_TTL_SECONDS,
  githubWebhooks,
  IdempotencyError,
  standardWebhooks,
  step,
  stripeWebhooks,
  TTL_ATTRIBUTE,
  webhookIdempotency,
  type DynamoDBStore,
  type HttpEvent,
  type HttpResponse,
  type IdempotencyOutcome,
  type WebhookIdempotencyOptions,
  type WebhookSecret,
  type WebhookVerifier,
} from '../../../lambda/index.js';
import { countedStore, createLocalTable, type LocalTable } from '../../support/local-table.js';
import { lambdaContext, recordingLogger } from '../../support/lambda-context.js';
import { header, httpV2, restV1, SHAPES, type EventBuilder } from '../http/events.js';
import { githubHeaders, standardHeaders, stripeHeaders, type Delivery } from './signers.js';

let table: LocalTable;
let store: DynamoDBStore;
let counter: RequestCounter;

beforeAll(async () => {
  table = await createLocalTable('webhooks');
  // The store's requests are counted: "no store request" is counted, not assumed.
  ({ store, counter } = countedStore(table));
});

beforeEach(() => counter.reset());

/** One provider, as the tests drive it: its preset, its secrets, and a sender that signs as it does. */
interface Provider {
  readonly name: string;
  readonly verify: (secret: WebhookSecret) => WebhookVerifier;
  readonly newSecret: () => string;
  /** The headers a provider sends with a delivery, signed with each of `secrets`. */
  readonly sign: (secrets: string | string[], delivery: Delivery & { id: string }) => Record<string, string>;
  /** A body for delivery `id`; `variant` changes its content. */
  readonly body: (id: string, variant?: string) => string;
  /** Whether the scheme signs a timestamp, which then must be fresh. */
  readonly timestamped: boolean;
}

const PROVIDERS: readonly Provider[] = [
  {
    name: 'Standard Webhooks',
    verify: (secret) => standardWebhooks({ secret }),
    newSecret: () => `whsec_${randomBytes(24).toString('base64')}`,
    sign: (secrets, delivery) => standardHeaders(secrets, delivery),
    body: (id, variant = 'a') => JSON.stringify({ type: 'invoice.paid', timestamp: '2026-12-02T12:00:00Z', data: { invoice: id, variant } }),
    timestamped: true,
  },
  {
    name: 'GitHub',
    verify: (secret) => githubWebhooks({ secret }),
    newSecret: () => randomBytes(20).toString('hex'),
    sign: (secrets, delivery) => githubHeaders([secrets].flat()[0], delivery),
    body: (id, variant = 'a') => JSON.stringify({ ref: 'refs/heads/main', after: id, variant }),
    timestamped: false,
  },
  {
    name: 'Stripe',
    verify: (secret) => stripeWebhooks({ secret }),
    newSecret: () => `whsec_${randomBytes(24).toString('hex')}`,
    sign: (secrets, delivery) => stripeHeaders(secrets, delivery),
    // Stripe's delivery id is inside the body.
    body: (id, variant = 'a') => JSON.stringify({ id, object: 'event', type: 'payment_intent.succeeded', data: { variant } }),
    timestamped: true,
  },
];

const OK_BODY = '{"received": true,  "note":"spacing kept"}';

/** A receiver: the wrapped handler, with a count of its runs. */
function receiver(
  provider: Provider,
  secret: WebhookSecret,
  handlerFn: (event: HttpEvent) => Promise<unknown> = async () => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: OK_BODY }),
  options: Partial<WebhookIdempotencyOptions> = {},
) {
  const handler = vi.fn(handlerFn);
  const logger = recordingLogger();
  const wrapped = webhookIdempotency(handler, { store, name: `hooks-${randomUUID()}`, verify: provider.verify(secret), logger, ...options });
  const call = async (event: HttpEvent) => (await wrapped(event, lambdaContext())) as HttpResponse;
  return { call, handler, logger };
}

/** A signed delivery as an event of the given shape. */
function deliveryEvent(
  provider: Provider,
  secrets: string | string[],
  delivery: { id: string; body: string | Buffer; timestamp?: number },
  shape: EventBuilder = httpV2,
): HttpEvent {
  const headers = provider.sign(secrets, delivery);
  const isBase64Encoded = typeof delivery.body !== 'string';
  const body = typeof delivery.body === 'string' ? delivery.body : delivery.body.toString('base64');
  return shape({ method: 'POST', path: '/webhooks', headers, body, isBase64Encoded });
}

function problemOf(response: HttpResponse): { type: string; title: string; status: number; detail: string } {
  expect(header(response, 'content-type')).toBe('application/problem+json');
  const body = JSON.parse(response.body ?? '') as { type: string; title: string; status: number; detail: string };
  expect(body.status).toBe(response.statusCode);
  return body;
}

const newId = () => `d-${randomUUID()}`;

describe.each(PROVIDERS)('$name deliveries', (provider) => {
  const secret = provider.newSecret();

  it('runs a verified delivery and answers with the handler’s response', async () => {
    const { call, handler } = receiver(provider, secret);
    const id = newId();
    const response = await call(deliveryEvent(provider, secret, { id, body: provider.body(id) }));
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(OK_BODY);
    expect(header(response, 'Idempotent-Replayed')).toBeUndefined();
    expect(handler).toHaveBeenCalledTimes(1);
    expect(counter.count.byOperation).toEqual({ PutItem: 2 });
  });

  it('replays the first response to a provider’s retry (new timestamp and signature) without running the handler', async () => {
    const { call, handler } = receiver(provider, secret);
    const id = newId();
    const body = provider.body(id);
    const first = await call(deliveryEvent(provider, secret, { id, body, timestamp: Math.floor(Date.now() / 1000) - 60 }));
    const retry = await call(deliveryEvent(provider, secret, { id, body }));
    expect(handler).toHaveBeenCalledTimes(1);
    expect(retry.statusCode).toBe(first.statusCode);
    expect(retry.body).toBe(first.body);
    expect(header(retry, 'Idempotent-Replayed')).toBe('true');
  });

  it('runs the handler once for 20 concurrent retries of one delivery; the others get 409 with Retry-After', async () => {
    let settled = 0;
    let openGate: () => void = () => undefined;
    const othersSettled = new Promise<void>((resolve) => (openGate = resolve));
    const { call, handler } = receiver(provider, secret, async () => {
      // The first run holds its claim until every other retry has been answered (or 10 s, so a second run fails the count rather than hanging).
      await Promise.race([othersSettled, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      return { statusCode: 200, body: OK_BODY };
    });
    const id = newId();
    const body = provider.body(id);
    const now = Math.floor(Date.now() / 1000);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(deliveryEvent(provider, secret, { id, body, timestamp: now - i })).finally(() => {
          if (++settled === 19) openGate();
        }),
      ),
    );
    expect(handler).toHaveBeenCalledTimes(1);
    const ran = responses.filter((r) => r.statusCode === 200);
    const busy = responses.filter((r) => r.statusCode === 409);
    expect(ran).toHaveLength(1);
    expect(busy).toHaveLength(19);
    for (const response of busy) {
      expect(header(response, 'Retry-After')).toBe('1');
      expect(problemOf(response).type).toBe('tag:retry-safe,2026:problem:webhook-delivery-in-progress');
    }
    const later = await call(deliveryEvent(provider, secret, { id, body }));
    expect(header(later, 'Idempotent-Replayed')).toBe('true');
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('rejects a forged signature with 401, making no DynamoDB request and not running the handler', async () => {
    const { call, handler } = receiver(provider, secret);
    const id = newId();
    const response = await call(deliveryEvent(provider, provider.newSecret(), { id, body: provider.body(id) }));
    expect(response.statusCode).toBe(401);
    expect(problemOf(response).type).toBe('tag:retry-safe,2026:problem:webhook-signature-invalid');
    expect(handler).not.toHaveBeenCalled();
    expect(counter.count.requests).toBe(0);
  });

  it('rejects a body changed after signing with 401, making no DynamoDB request', async () => {
    const { call, handler } = receiver(provider, secret);
    const id = newId();
    const event = deliveryEvent(provider, secret, { id, body: provider.body(id) });
    (event as { body: string }).body = provider.body(id, 'tampered');
    const response = await call(event);
    expect(response.statusCode).toBe(401);
    expect(handler).not.toHaveBeenCalled();
    expect(counter.count.requests).toBe(0);
  });

  it('rejects a request without the signature headers with 401, making no DynamoDB request', async () => {
    const { call, handler } = receiver(provider, secret);
    const id = newId();
    const response = await call(httpV2({ method: 'POST', path: '/webhooks', headers: { 'Content-Type': 'application/json' }, body: provider.body(id) }));
    expect(response.statusCode).toBe(401);
    expect(problemOf(response).detail).toMatch(/header is missing/);
    expect(handler).not.toHaveBeenCalled();
    expect(counter.count.requests).toBe(0);
  });

  it('rejects each signature header missing on its own with 401, making no DynamoDB request', async () => {
    const { call, handler } = receiver(provider, secret);
    const id = newId();
    const headers = provider.sign(secret, { id, body: provider.body(id) });
    const signatureHeaders = Object.keys(headers).filter((name) => /signature|webhook-|delivery/i.test(name));
    expect(signatureHeaders.length).toBeGreaterThan(0);
    for (const missing of signatureHeaders) {
      const rest = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== missing));
      const response = await call(httpV2({ method: 'POST', path: '/webhooks', headers: rest, body: provider.body(id) }));
      // GitHub's delivery id is not signed: without it the signature verifies, and the id is what is missing (400).
      expect([401, 400]).toContain(response.statusCode);
      if (/delivery/i.test(missing)) expect(response.statusCode).toBe(400);
      else expect(response.statusCode).toBe(401);
    }
    expect(handler).not.toHaveBeenCalled();
    expect(counter.count.requests).toBe(0);
  });

  it('accepts a delivery signed with either secret during a rotation, and refuses one signed with neither', async () => {
    const [oldSecret, newSecret] = [provider.newSecret(), provider.newSecret()];
    const { call, handler } = receiver(provider, [oldSecret, newSecret]);
    const [a, b] = [newId(), newId()];
    expect((await call(deliveryEvent(provider, oldSecret, { id: a, body: provider.body(a) }))).statusCode).toBe(200);
    expect((await call(deliveryEvent(provider, newSecret, { id: b, body: provider.body(b) }))).statusCode).toBe(200);
    const c = newId();
    expect((await call(deliveryEvent(provider, provider.newSecret(), { id: c, body: provider.body(c) }))).statusCode).toBe(401);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('reads a secret getter once per cold start, not once per request', async () => {
    const getter = vi.fn(async () => secret);
    const { call } = receiver(provider, getter);
    for (let i = 0; i < 3; i++) {
      const id = newId();
      expect((await call(deliveryEvent(provider, secret, { id, body: provider.body(id) }))).statusCode).toBe(200);
    }
    expect(getter).toHaveBeenCalledTimes(1);
  });

  it('verifies a base64 body over its decoded bytes, including bytes that are not UTF-8, and replays it', async () => {
    const { call, handler } = receiver(provider, secret);
    const id = newId();
    // Stripe's id lives in the JSON body, so its body stays JSON with a non-UTF-8 tail in a string; the others are raw bytes.
    const body =
      provider.name === 'Stripe'
        ? Buffer.concat([Buffer.from(`{"id":"${id}","blob":"`), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('"}')])
        : Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7f, ...randomBytes(16)]);
    const first = await call(deliveryEvent(provider, secret, { id, body }));
    expect(first.statusCode).toBe(200);
    const retry = await call(deliveryEvent(provider, secret, { id, body }));
    expect(header(retry, 'Idempotent-Replayed')).toBe('true');
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('rejects the same delivery id with a different body with 422, and logs it without the raw id', async () => {
    const { call, handler, logger } = receiver(provider, secret);
    const id = newId();
    await call(deliveryEvent(provider, secret, { id, body: provider.body(id) }));
    const response = await call(deliveryEvent(provider, secret, { id, body: provider.body(id, 'other') }));
    expect(response.statusCode).toBe(422);
    expect(problemOf(response).type).toBe('tag:retry-safe,2026:problem:webhook-delivery-id-reused');
    expect(handler).toHaveBeenCalledTimes(1);
    expect(logger.warnings.some((message) => /different payload/.test(message))).toBe(true);
    expect(JSON.stringify(logger.warnings)).not.toContain(id);
  });

  it('never puts the secret or the raw delivery id in a response or in the table', async () => {
    const { call } = receiver(provider, secret);
    const id = newId();
    const forged = await call(deliveryEvent(provider, provider.newSecret(), { id, body: provider.body(id) }));
    const ok = await call(deliveryEvent(provider, secret, { id, body: provider.body(id) }));
    for (const response of [forged, ok]) expect(JSON.stringify(response)).not.toContain(secret);
    const scan = await table.client.send(new ScanCommand({ TableName: table.tableName }));
    const items = JSON.stringify(scan.Items);
    expect(items).not.toContain(secret);
    expect(items).not.toContain(id);
  });

  if (provider.timestamped) {
    it('rejects a stale delivery (a captured request replayed later) with 401, making no DynamoDB request', async () => {
      const { call, handler } = receiver(provider, secret);
      const id = newId();
      const stale = Math.floor(Date.now() / 1000) - 301;
      const response = await call(deliveryEvent(provider, secret, { id, body: provider.body(id), timestamp: stale }));
      expect(response.statusCode).toBe(401);
      expect(problemOf(response).detail).toMatch(/s old, outside the tolerance of 300 s/);
      expect(handler).not.toHaveBeenCalled();
      expect(counter.count.requests).toBe(0);
    });

    it('rejects a delivery stamped in the future beyond the tolerance', async () => {
      const { call } = receiver(provider, secret);
      const id = newId();
      const future = Math.floor(Date.now() / 1000) + 400;
      const response = await call(deliveryEvent(provider, secret, { id, body: provider.body(id), timestamp: future }));
      expect(response.statusCode).toBe(401);
      expect(problemOf(response).detail).toMatch(/in the future/);
    });
  }
});

describe.each(SHAPES)('every event shape: %s', (_shape, build) => {
  const provider = PROVIDERS[0];
  const secret = provider.newSecret();

  it('runs a verified delivery once, replays its retry, and refuses a forgery without a store request', async () => {
    const { call, handler } = receiver(provider, secret, async () => ({ statusCode: 202, body: 'queued' }));
    const id = newId();
    const body = provider.body(id);
    const first = await call(deliveryEvent(provider, secret, { id, body }, build));
    const retry = await call(deliveryEvent(provider, secret, { id, body }, build));
    expect(first.statusCode).toBe(202);
    expect(retry.statusCode).toBe(202);
    expect(retry.body).toBe('queued');
    expect(header(retry, 'Idempotent-Replayed')).toBe('true');
    expect(handler).toHaveBeenCalledTimes(1);

    counter.reset();
    const forged = await call(deliveryEvent(provider, provider.newSecret(), { id, body }, build));
    expect(forged.statusCode).toBe(401);
    expect(problemOf(forged).title).toBe('Webhook signature verification failed');
    expect(counter.count.requests).toBe(0);
  });

  it('verifies a base64-encoded body', async () => {
    const { call, handler } = receiver(provider, secret);
    const id = newId();
    const response = await call(deliveryEvent(provider, secret, { id, body: Buffer.from(provider.body(id)) }, build));
    expect(response.statusCode).toBe(200);
    expect(handler).toHaveBeenCalledTimes(1);
  });
});

describe('header names', () => {
  it('are matched case-insensitively, as REST APIs pass them as sent', async () => {
    const provider = PROVIDERS[0];
    const secret = provider.newSecret();
    const { call } = receiver(provider, secret);
    const id = newId();
    const body = provider.body(id);
    const signed = provider.sign(secret, { id, body });
    const shouted = Object.fromEntries(Object.entries(signed).map(([name, value]) => [name.toUpperCase(), value]));
    const response = await call(restV1({ method: 'POST', path: '/webhooks', headers: shouted, body }));
    expect(response.statusCode).toBe(200);
  });

  it('refuses a signature header sent twice with 401', async () => {
    const provider = PROVIDERS[1];
    const secret = provider.newSecret();
    const { call } = receiver(provider, secret);
    const id = newId();
    const body = provider.body(id);
    const signed = provider.sign(secret, { id, body });
    const twice = { ...signed, 'X-Hub-Signature-256': [signed['X-Hub-Signature-256'], signed['X-Hub-Signature-256']] };
    const response = await call(restV1({ method: 'POST', path: '/webhooks', headers: twice, body }));
    expect(response.statusCode).toBe(401);
    expect(problemOf(response).detail).toMatch(/sent 2 times/);
    expect(counter.count.requests).toBe(0);
  });
});

describe('what the handler answers', () => {
  const provider = PROVIDERS[0];
  const secret = provider.newSecret();

  it('releases the delivery when the handler throws, so the provider’s next retry runs it', async () => {
    let fail = true;
    const { call, handler } = receiver(provider, secret, async () => {
      if (fail) throw new Error('downstream unavailable');
      return { statusCode: 200, body: 'ok' };
    });
    const id = newId();
    const body = provider.body(id);
    await expect(call(deliveryEvent(provider, secret, { id, body }))).rejects.toThrow('downstream unavailable');
    fail = false;
    const retry = await call(deliveryEvent(provider, secret, { id, body }));
    expect(retry.statusCode).toBe(200);
    expect(header(retry, 'Idempotent-Replayed')).toBeUndefined();
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('releases the delivery when the handler answers 5xx, so the next retry runs it', async () => {
    let status = 503;
    const { call, handler } = receiver(provider, secret, async () => ({ statusCode: status, body: String(status) }));
    const id = newId();
    const body = provider.body(id);
    expect((await call(deliveryEvent(provider, secret, { id, body }))).statusCode).toBe(503);
    status = 200;
    expect((await call(deliveryEvent(provider, secret, { id, body }))).statusCode).toBe(200);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('stores a 4xx the handler returns and replays it', async () => {
    const { call, handler } = receiver(provider, secret, async () => ({ statusCode: 400, body: 'unknown event type' }));
    const id = newId();
    const body = provider.body(id);
    await call(deliveryEvent(provider, secret, { id, body }));
    const retry = await call(deliveryEvent(provider, secret, { id, body }));
    expect(retry.statusCode).toBe(400);
    expect(retry.body).toBe('unknown event type');
    expect(header(retry, 'Idempotent-Replayed')).toBe('true');
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('runs the handler’s steps under the delivery’s claim', async () => {
    let sideEffects = 0;
    let crash = true;
    const { call } = receiver(provider, secret, async () => {
      await step('notify', async () => ++sideEffects);
      if (crash) throw new Error('crashed after the step');
      return { statusCode: 200, body: 'ok' };
    });
    const id = newId();
    const body = provider.body(id);
    await expect(call(deliveryEvent(provider, secret, { id, body }))).rejects.toThrow('crashed after the step');
    crash = false;
    expect((await call(deliveryEvent(provider, secret, { id, body }))).statusCode).toBe(200);
    expect(sideEffects).toBeGreaterThanOrEqual(1);
  });
});

describe('keys', () => {
  it('keeps two receivers of one GitHub delivery apart: each runs its handler', async () => {
    const provider = PROVIDERS[1];
    const secret = provider.newSecret();
    const ci = receiver(provider, secret, undefined, { name: 'github-ci' });
    const chat = receiver(provider, secret, undefined, { name: 'github-chat' });
    const id = newId();
    const body = provider.body(id);
    expect((await ci.call(deliveryEvent(provider, secret, { id, body }))).statusCode).toBe(200);
    expect((await chat.call(deliveryEvent(provider, secret, { id, body }))).statusCode).toBe(200);
    expect(ci.handler).toHaveBeenCalledTimes(1);
    expect(chat.handler).toHaveBeenCalledTimes(1);
  });

  it('keeps two providers apart under one name: equal ids are different deliveries', async () => {
    const [standard, github] = [PROVIDERS[0], PROVIDERS[1]];
    const name = `shared-${randomUUID()}`;
    const [s1, s2] = [standard.newSecret(), github.newSecret()];
    const a = receiver(standard, s1, undefined, { name });
    const b = receiver(github, s2, undefined, { name });
    const id = newId();
    const body = '{"same":"body"}';
    expect((await a.call(deliveryEvent(standard, s1, { id, body }))).statusCode).toBe(200);
    expect((await b.call(deliveryEvent(github, s2, { id, body }))).statusCode).toBe(200);
    expect(a.handler).toHaveBeenCalledTimes(1);
    expect(b.handler).toHaveBeenCalledTimes(1);
  });

  it('keeps deliveries for 4 days by default', async () => {
    expect(DEFAULT_WEBHOOK_TTL_SECONDS).toBe(345_600);
    const provider = PROVIDERS[0];
    const secret = provider.newSecret();
    const name = `retention-${randomUUID()}`;
    const { call } = receiver(provider, secret, undefined, { name });
    const id = newId();
    const before = Math.floor(Date.now() / 1000);
    await call(deliveryEvent(provider, secret, { id, body: provider.body(id) }));
    const scan = await table.client.send(new ScanCommand({ TableName: table.tableName }));
    const [item] = (scan.Items ?? []).filter((candidate) => candidate.id?.S?.startsWith(`${name}#`));
    const expiresAt = Number(item[TTL_ATTRIBUTE].N);
    expect(expiresAt).toBeGreaterThanOrEqual(before + DEFAULT_WEBHOOK_TTL_SECONDS);
    expect(expiresAt).toBeLessThanOrEqual(before + DEFAULT_WEBHOOK_TTL_SECONDS + 60);
  });

  it('answers a verified Stripe delivery whose body has no event id with 400, making no DynamoDB request', async () => {
    const provider = PROVIDERS[2];
    const secret = provider.newSecret();
    const { call, handler } = receiver(provider, secret);
    const body = '{"object":"event"}';
    const response = await call(httpV2({ method: 'POST', path: '/webhooks', headers: stripeHeaders(secret, { body }), body }));
    expect(response.statusCode).toBe(400);
    expect(problemOf(response).type).toBe('tag:retry-safe,2026:problem:webhook-delivery-id-invalid');
    expect(handler).not.toHaveBeenCalled();
    expect(counter.count.requests).toBe(0);
  });
});

describe('a custom verifier', () => {
  const secret = 'acme-secret';
  const acme: WebhookVerifier = {
    provider: 'acme',
    verify: (_event, rawBody, headerOf) => headerOf('x-acme-token') === secret && rawBody.length > 0,
    deliveryId: (_event, _rawBody, headerOf) => headerOf('x-acme-delivery'),
  };

  it('runs a delivery it accepts once, and answers 401 when it returns false', async () => {
    const handler = vi.fn(async () => ({ statusCode: 204 }));
    const call = webhookIdempotency(handler, { store, name: `acme-${randomUUID()}`, verify: acme });
    const headers = { 'X-Acme-Token': secret, 'X-Acme-Delivery': 'acme-1' };
    const event = () => httpV2({ method: 'POST', path: '/acme', headers, body: '{}' });
    expect(((await call(event(), lambdaContext())) as HttpResponse).statusCode).toBe(204);
    expect(((await call(event(), lambdaContext())) as HttpResponse).statusCode).toBe(204);
    expect(handler).toHaveBeenCalledTimes(1);
    counter.reset();
    const forged = httpV2({ method: 'POST', path: '/acme', headers: { ...headers, 'X-Acme-Token': 'guess' }, body: '{}' });
    expect(((await call(forged, lambdaContext())) as HttpResponse).statusCode).toBe(401);
    expect(counter.count.requests).toBe(0);
  });
});

describe('configuration mistakes fail when the handler is wrapped', () => {
  it('rejects a missing verifier, a bad secret, a bad tolerance and a bad provider name', () => {
    const wrap = (verify: WebhookVerifier) => webhookIdempotency(async () => ({ statusCode: 200 }), { store, name: 'x', verify });
    expect(() => wrap(undefined as unknown as WebhookVerifier)).toThrow(/options.verify is required/);
    expect(() => standardWebhooks({ secret: 'whsec_not base64!' })).toThrow(/secret is not base64/);
    expect(() => githubWebhooks({ secret: [] })).toThrow(IdempotencyError);
    expect(() => stripeWebhooks({ secret: ['whsec_a', ''] })).toThrow(/secret\[1\] must be a non-empty string/);
    expect(() => stripeWebhooks({ secret: 'whsec_a', toleranceSeconds: 0 })).toThrow(/toleranceSeconds/);
    expect(() => wrap({ ...githubWebhooks({ secret: 's' }), provider: 'git hub' })).toThrow(/provider/);
  });

  it('never shows a bad secret in the error', () => {
    const secret = 'whsec_top secret value';
    expect(() => standardWebhooks({ secret })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('top secret') }));
  });

  it('reports a failing secret getter as an error (not a 401) and calls it again on the next request', async () => {
    const provider = PROVIDERS[1];
    const secret = provider.newSecret();
    let calls = 0;
    const getter = async () => {
      calls += 1;
      if (calls === 1) throw new Error('Secrets Manager throttled');
      return secret;
    };
    const { call } = receiver(provider, getter);
    const id = newId();
    const event = () => deliveryEvent(provider, secret, { id, body: provider.body(id) });
    await expect(call(event())).rejects.toThrow(/secret getter of githubWebhooks/);
    expect((await call(event())).statusCode).toBe(200);
    expect(calls).toBe(2);
  });

  it('refuses an event that is not an HTTP event', async () => {
    const { call } = receiver(PROVIDERS[0], PROVIDERS[0].newSecret());
    await expect(call({ Records: [] } as unknown as HttpEvent)).rejects.toThrow(/not from API Gateway/);
  });
});

describe('outcomes', () => {
  it('reports each call once: executed, replayed, unverified, mismatch, released, key_missing', async () => {
    const provider = PROVIDERS[2];
    const secret = provider.newSecret();
    const outcomes: IdempotencyOutcome[] = [];
    let fail = false;
    const { call } = receiver(
      provider,
      secret,
      async () => {
        if (fail) throw new Error('downstream unavailable');
        return { statusCode: 200, body: 'ok' };
      },
      { onOutcome: (outcome) => outcomes.push(outcome) },
    );
    const id = newId();
    await call(deliveryEvent(provider, secret, { id, body: provider.body(id) }));
    await call(deliveryEvent(provider, secret, { id, body: provider.body(id) }));
    await call(deliveryEvent(provider, provider.newSecret(), { id, body: provider.body(id) }));
    await call(deliveryEvent(provider, secret, { id, body: provider.body(id, 'other') }));
    fail = true;
    const other = newId();
    await expect(call(deliveryEvent(provider, secret, { id: other, body: provider.body(other) }))).rejects.toThrow();
    const noId = '{"object":"event"}';
    await call(httpV2({ method: 'POST', path: '/webhooks', headers: stripeHeaders(secret, { body: noId }), body: noId }));

    expect(outcomes.map((o) => o.outcome)).toEqual(['executed', 'replayed', 'unverified', 'mismatch', 'released', 'key_missing']);
    expect(outcomes[1].replayedFrom).toBe('table');
    expect(JSON.stringify(outcomes)).not.toContain(id);
  });
});
