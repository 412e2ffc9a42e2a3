import { randomUUID } from 'node:crypto';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { IdempotencyError, httpIdempotency, idempotency, makeIdempotent, step } from '../../../lambda/index.js';
import type { HttpEvent } from '../../../lambda/http/http-event.js';
import { recordId } from '../../../lambda/core/engine.js';
import { stepKey, stepRecordId } from '../../../lambda/steps/step.js';
import { createLocalTable, type LocalTable } from '../../support/local-table.js';
import { lambdaContext } from '../../support/lambda-context.js';
import { FakeProvider } from './crashing-store.js';

type OrderEvent = { body: string; order?: { orderId: string; amountCents: number } };

let table: LocalTable;

beforeAll(async () => {
  table = await createLocalTable('steps-middy');
});

/** Parses the body in `before` after a tick, as real parsers and loaders do. */
const parseBody = (): MiddlewareObj<OrderEvent> => ({
  before: async (request) => {
    await new Promise((r) => setTimeout(r, 1));
    request.event.order = JSON.parse(request.event.body);
  },
});

/** Shapes the response in `after`, as a serializer would. */
const wrapResponse = (): MiddlewareObj<OrderEvent, unknown> => ({
  after: async (request) => {
    await new Promise((r) => setImmediate(r));
    request.response = { body: request.response };
  },
});

/** A Middy app whose handler runs one step with its context, and the context it last received. */
function chargeApp(namePrefix: string) {
  let handlerContext: Context | undefined;
  const app = middy<OrderEvent, unknown, Error, Context>(async (_event: OrderEvent, context: Context) => {
    handlerContext = context;
    return step('charge', () => 'ok', { context });
  })
    .use(parseBody())
    .use(idempotency<OrderEvent>({ store: table.store, name: `${namePrefix}-${randomUUID()}`, key: (e) => e.order?.orderId }));
  return { app, handlerContext: () => handlerContext };
}

function orderApp(order: 'idempotency-first' | 'idempotency-last') {
  const name = `middy-steps-${randomUUID()}`;
  const payments = new FakeProvider();
  const mailer = new FakeProvider();
  let failAfterCharge = false;
  const handler = async (event: OrderEvent, context: Context) => {
    const charge = await step('charge', (key) => payments.perform(key, 'ch'), { context });
    if (failAfterCharge) throw new Error('injected failure after charge');
    const email = await step('email', (key) => mailer.perform(key, 'mail'), { context });
    return { orderId: event.order?.orderId, charge, email };
  };
  // The key is read from the raw body, so it does not depend on running after the parser.
  const idem = idempotency<OrderEvent>({ store: table.store, name, key: (e) => JSON.parse(e.body).orderId });
  const app = middy<OrderEvent, unknown, Error, Context>(handler);
  if (order === 'idempotency-first') app.use(idem).use(parseBody()).use(wrapResponse());
  else app.use(parseBody()).use(wrapResponse()).use(idem);
  return {
    app,
    payments,
    mailer,
    name,
    failNext: () => (failAfterCharge = true),
    succeedNext: () => (failAfterCharge = false),
  };
}

const orderEvent = (orderId: string, amountCents = 100): OrderEvent => ({ body: JSON.stringify({ orderId, amountCents }) });

describe('step() under the idempotency() Middy middleware', () => {
  for (const order of ['idempotency-first', 'idempotency-last'] as const) {
    it(`runs steps with { context } and replays them to a retry, with ${order}`, async () => {
      const world = orderApp(order);
      const orderId = randomUUID();
      world.failNext();
      await expect(world.app(orderEvent(orderId), lambdaContext())).rejects.toThrow('injected failure after charge');
      world.succeedNext();

      const result = await world.app(orderEvent(orderId), lambdaContext());

      expect(result).toEqual({ body: { orderId, charge: 'ch_1', email: 'mail_1' } });
      expect(world.payments.calls).toHaveLength(1);
      expect(world.mailer.calls).toHaveLength(1);
    });
  }

  it('keeps concurrent invocations that share one context object to their own executions', async () => {
    const name = `middy-shared-${randomUUID()}`;
    const keys = new Map<string, string>();
    const app = middy<OrderEvent, unknown, Error, Context>(async (event: OrderEvent, context: Context) => {
      await new Promise((r) => setTimeout(r, Math.random() * 10));
      return step(
        'charge',
        async (key) => {
          await new Promise((r) => setTimeout(r, Math.random() * 10));
          keys.set(event.order?.orderId ?? '', key);
          return `charged ${event.order?.orderId}`;
        },
        { context },
      );
    })
      .use(parseBody())
      .use(idempotency<OrderEvent>({ store: table.store, name, key: (e) => e.order?.orderId }));
    const shared = lambdaContext();
    const orderIds = Array.from({ length: 25 }, () => randomUUID());

    const results = await Promise.all(orderIds.map((orderId) => app(orderEvent(orderId), shared)));

    expect(results).toEqual(orderIds.map((orderId) => `charged ${orderId}`));
    for (const orderId of orderIds) {
      const parentId = recordId(name, orderId);
      expect(keys.get(orderId)).toBe(stepKey(parentId, 'charge'));
      expect((await table.getItem(stepRecordId(parentId, 'charge')))?.r?.S).toBe(JSON.stringify(`charged ${orderId}`));
    }
  });

  it('leaves the caller context object and async context without an execution', async () => {
    const { app, handlerContext } = chargeApp('middy-leak');
    const callerContext = lambdaContext();

    expect(await app(orderEvent(randomUUID()), callerContext)).toBe('ok');

    await expect(step('later', () => 'no', { context: callerContext })).rejects.toThrow(/started after its handler returned/);
    await expect(step('later', () => 'no')).rejects.toThrow(/outside an idempotent execution/);
    // The handler saw the caller's own context (Lambda gives each invocation its own), carrying the
    // execution only while the invocation ran (checked above); its visible properties are unchanged.
    expect(handlerContext()).toBe(callerContext);
    expect(Object.keys(callerContext)).toEqual(Object.keys(lambdaContext()));
    expect(JSON.stringify(callerContext)).toBe(JSON.stringify(lambdaContext()));
    expect(callerContext.getRemainingTimeInMillis()).toBe(lambdaContext().getRemainingTimeInMillis());
  });

  it('gives invocations that reuse one context object one after another their own executions', async () => {
    const name = `middy-reuse-${randomUUID()}`;
    const keys: string[] = [];
    const app = middy<OrderEvent, unknown, Error, Context>(async (_event: OrderEvent, context: Context) =>
      step('charge', (key) => keys.push(key), { context }),
    )
      .use(parseBody())
      .use(idempotency<OrderEvent>({ store: table.store, name, key: (e) => e.order?.orderId }));
    const reused = lambdaContext();
    const [first, second] = [randomUUID(), randomUUID()];

    await app(orderEvent(first), reused);
    await app(orderEvent(second), reused);

    expect(keys).toEqual([stepKey(recordId(name, first), 'charge'), stepKey(recordId(name, second), 'charge')]);
  });

  it('gives an invocation a copy when its context object cannot be extended, and steps still work', async () => {
    const { app, handlerContext } = chargeApp('middy-frozen');
    const frozen = Object.freeze(lambdaContext());

    expect(await app(orderEvent(randomUUID()), frozen)).toBe('ok');

    // A copy with the caller's properties: reads, spreads and methods behave as before.
    expect(handlerContext()).not.toBe(frozen);
    expect({ ...handlerContext() }).toEqual({ ...frozen });
    expect(handlerContext()?.getRemainingTimeInMillis()).toBe(frozen.getRemainingTimeInMillis());
    expect(Reflect.ownKeys(frozen)).toEqual(Reflect.ownKeys(lambdaContext()));
    await expect(step('later', () => 'no', { context: handlerContext() })).rejects.toThrow(/started after its handler returned/);
  });

  it('gives a nested invocation that reuses the running context a copy with the same properties', async () => {
    const name = `middy-nested-${randomUUID()}`;
    const seen: Array<{ context: Context; key: string }> = [];
    const inner = middy<OrderEvent, unknown, Error, Context>(async (_event: OrderEvent, context: Context) =>
      step('inner', (key) => void seen.push({ context, key }), { context }),
    )
      .use(parseBody())
      .use(idempotency<OrderEvent>({ store: table.store, name: `${name}-inner`, key: (e) => e.order?.orderId }));
    const outer = middy<OrderEvent, unknown, Error, Context>(async (event: OrderEvent, context: Context) => {
      await inner(orderEvent(`${event.order?.orderId}-child`), context);
      return step('outer', (key) => void seen.push({ context, key }), { context });
    })
      .use(parseBody())
      .use(idempotency<OrderEvent>({ store: table.store, name, key: (e) => e.order?.orderId }));
    const context = lambdaContext();
    const orderId = randomUUID();

    await outer(orderEvent(orderId), context);

    const [innerSeen, outerSeen] = seen;
    expect(innerSeen.key).toBe(stepKey(recordId(`${name}-inner`, `${orderId}-child`), 'inner'));
    expect(outerSeen.key).toBe(stepKey(recordId(name, orderId), 'outer'));
    expect(outerSeen.context).toBe(context);
    expect(innerSeen.context).not.toBe(context);
    expect({ ...innerSeen.context }).toEqual({ ...context });
    expect(innerSeen.context.getRemainingTimeInMillis()).toBe(context.getRemainingTimeInMillis());
  });

  it('rejects step(name, fn) without { context } under Middy with an error naming the fix', async () => {
    const charge = vi.fn();
    const app = middy<OrderEvent, unknown, Error, Context>(async () => step('charge', charge))
      .use(parseBody())
      .use(idempotency<OrderEvent>({ store: table.store, name: `middy-noctx-${randomUUID()}`, key: (e) => e.order?.orderId }));

    const failure = await app(orderEvent(randomUUID()), lambdaContext()).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(IdempotencyError);
    expect((failure as Error).message).toContain('step(name, fn, { context })');
    expect(charge).not.toHaveBeenCalled();
  });

  it('rejects a context that did not pass through the middleware', async () => {
    const app = middy<OrderEvent, unknown, Error, Context>(async () =>
      step('charge', () => 'x', { context: lambdaContext() }),
    );

    await expect(app(orderEvent(randomUUID()), lambdaContext())).rejects.toThrow(/outside an idempotent execution/);
  });
});

describe('step() under Middy in a run without a claim', () => {
  it('runs the steps of an event without a key under required: false, with keys of their own', async () => {
    const keys: string[] = [];
    const app = middy<OrderEvent, unknown, Error, Context>(async (_event: OrderEvent, context: Context) =>
      step('charge', (key) => keys.push(key), { context }),
    )
      .use(parseBody())
      .use(idempotency<OrderEvent>({ store: table.store, name: `middy-nokey-${randomUUID()}`, key: () => undefined, required: false }));
    const context = lambdaContext();

    expect(await app({ body: '{}' }, context)).toBe(1);
    expect(await app({ body: '{}' }, context)).toBe(2);

    expect(new Set(keys).size).toBe(2);
    // The run ended with the invocation: a step started with its context now is refused.
    await expect(step('later', () => 'no', { context })).rejects.toThrow(/started after its handler returned/);
  });
});

describe('step() and the run it belongs to, under Middy', () => {
  it('refuses a late step of an earlier invocation instead of recording it under the next one on a reused context', async () => {
    const name = `middy-late-${randomUUID()}`;
    const fn = vi.fn(() => 'late');
    let startLateStep: (() => Promise<unknown>) | undefined;
    let secondStarted!: () => void;
    const secondRunning = new Promise<void>((resolve) => (secondStarted = resolve));
    let finishSecond!: () => void;
    const secondMayFinish = new Promise<void>((resolve) => (finishSecond = resolve));
    const app = middy<OrderEvent, unknown, Error, Context>(async (event: OrderEvent, context: Context) => {
      if (event.order?.orderId.endsWith('-1')) {
        // The first invocation leaves a step behind that it never awaits.
        startLateStep = () => step('late', fn, { context });
      } else {
        secondStarted();
        await secondMayFinish;
      }
      return 'done';
    })
      .use(parseBody())
      .use(idempotency<OrderEvent>({ store: table.store, name, key: (e) => e.order?.orderId }));
    const reused = lambdaContext();
    const base = randomUUID();

    await app(orderEvent(`${base}-1`), reused);
    const second = app(orderEvent(`${base}-2`), reused);
    await secondRunning;
    // The left-behind step starts while the second invocation, on the same context object, runs.
    const failure = await startLateStep?.().catch((e: unknown) => e);
    finishSecond();
    await second;

    expect(failure).toBeInstanceOf(IdempotencyError);
    expect((failure as Error).message).toMatch(/started after its handler returned/);
    expect(fn).not.toHaveBeenCalled();
    expect(await table.getItem(stepRecordId(recordId(name, `${base}-2`), 'late'))).toBeUndefined();
  });

  it('gives a step the claim of a makeIdempotent() handler called with the context of an unclaimed Middy one', async () => {
    const name = `middy-inner-${randomUUID()}`;
    const keys: string[] = [];
    const inner = makeIdempotent(
      async (_orderId: string, context: Context) => step('charge', (key) => keys.push(key), { context }),
      { store: table.store, name, key: (orderId) => orderId },
    );
    const outer = middy<OrderEvent, unknown, Error, Context>(async (event: OrderEvent, context: Context) =>
      inner(event.order?.orderId ?? '', context),
    )
      .use(parseBody())
      .use(idempotency<OrderEvent>({ store: table.store, name: `${name}-outer`, key: () => undefined, required: false }));
    const orderId = randomUUID();

    await outer(orderEvent(orderId), lambdaContext());
    await outer(orderEvent(orderId), lambdaContext());

    // The inner claim's derived key, the same on the retry, and its step recorded.
    expect(keys).toEqual([stepKey(recordId(name, orderId), 'charge')]);
    expect(await table.getItem(stepRecordId(recordId(name, orderId), 'charge'))).toBeDefined();
  });
});

describe('step() under the httpIdempotency() Middy middleware', () => {
  /** A minimal HTTP API (v2) POST with an Idempotency-Key header. */
  const httpPost = (key: string, body: object): HttpEvent => ({
    version: '2.0',
    rawPath: '/orders',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"` },
    requestContext: { http: { method: 'POST', path: '/orders' }, domainName: 'api.example.com' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  }) as unknown as HttpEvent;

  it('runs steps with { context } and replays them when a retry follows a 5xx', async () => {
    const payments = new FakeProvider();
    let failing = true;
    const app = middy(async (event: HttpEvent, context: Context) => {
      const charge = await step('charge', (key) => payments.perform(key, 'ch'), { context });
      if (failing) return { statusCode: 503, body: 'mailer down' };
      return { statusCode: 201, body: JSON.stringify({ charge, order: JSON.parse(String(event.body)) }) };
    }).use(httpIdempotency({ store: table.store, name: `http-steps-${randomUUID()}` }));
    const key = randomUUID();

    const first = await app(httpPost(key, { sku: 'a' }), lambdaContext());
    failing = false;
    const second = await app(httpPost(key, { sku: 'a' }), lambdaContext());

    expect(first).toMatchObject({ statusCode: 503 });
    expect(second).toMatchObject({ statusCode: 201, body: JSON.stringify({ charge: 'ch_1', order: { sku: 'a' } }) });
    expect(payments.calls).toHaveLength(1);
  });

  it('runs the steps of methods that do not take part (GET) and of POSTs without a key under required: false', async () => {
    const keys: string[] = [];
    const app = middy(async (_event: HttpEvent, context: Context) => {
      const charged = await step('charge', (key) => keys.push(key), { context });
      return { statusCode: 200, body: String(charged) };
    }).use(httpIdempotency({ store: table.store, name: `http-nokey-${randomUUID()}`, required: false }));
    const get = { ...httpPost('unused', {}), requestContext: { http: { method: 'GET', path: '/orders' } } } as unknown as HttpEvent;
    const keyless = { ...httpPost('unused', {}), headers: { 'content-type': 'application/json' } } as unknown as HttpEvent;

    expect(await app(get, lambdaContext())).toMatchObject({ statusCode: 200, body: '1' });
    expect(await app(keyless, lambdaContext())).toMatchObject({ statusCode: 200, body: '2' });
    expect(new Set(keys).size).toBe(2);
  });
});
