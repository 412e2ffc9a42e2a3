import { randomUUID } from 'node:crypto';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  IdempotencyInProgressError,
  IdempotencyKeyMissingError,
  IdempotencyPayloadMismatchError,
  httpIdempotency,
  idempotency,
} from '../../lambda/index.js';
import { recordId } from '../../lambda/core/engine.js';
import { createLocalTable, type LocalTable } from '../support/local-table.js';
import { lambdaContext } from '../support/lambda-context.js';

/** How long to wait for a background call to reach a point: generous, as a shared CI machine may be slow. */
const WAIT = { timeout: 10_000 };

type OrderEvent = { body: string; parsed?: { orderKey: string; amount: number } };

let table: LocalTable;

beforeAll(async () => {
  table = await createLocalTable('middy');
});

/** Parses the JSON body in `before`, as @middy/http-json-body-parser would. */
const jsonBody = (): MiddlewareObj<OrderEvent> => ({
  before: async (request) => {
    request.event.parsed = JSON.parse(request.event.body);
  },
});

function orderHandler(name: string, handlerFn: (event: OrderEvent) => Promise<unknown>) {
  const handler = vi.fn(handlerFn);
  const laterBefore = vi.fn();
  const wrapped = middy<OrderEvent, unknown, Error, Context>(handler)
    .use(jsonBody())
    .use(idempotency<OrderEvent>({ store: table.store, name, key: (e) => e.parsed?.orderKey }))
    .use({ before: laterBefore });
  return { wrapped, handler, laterBefore };
}

const orderEvent = (orderKey: string, amount = 100): OrderEvent => ({ body: JSON.stringify({ orderKey, amount }) });

describe('idempotency() with Middy', () => {
  it('runs the handler once alongside other middlewares and replays its result', async () => {
    const { wrapped, handler } = orderHandler('middy-once', async (e) => ({ orderId: `o_${e.parsed?.orderKey}` }));
    const key = randomUUID();

    const first = await wrapped(orderEvent(key), lambdaContext());
    const second = await wrapped(orderEvent(key), lambdaContext());

    expect(first).toEqual({ orderId: `o_${key}` });
    expect(second).toEqual(first);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('returns a replay early, without running the handler or later before hooks', async () => {
    const { wrapped, handler, laterBefore } = orderHandler('middy-early', async () => 'created');
    const key = randomUUID();
    await wrapped(orderEvent(key), lambdaContext());
    handler.mockClear();
    laterBefore.mockClear();

    await expect(wrapped(orderEvent(key), lambdaContext())).resolves.toBe('created');

    expect(handler).not.toHaveBeenCalled();
    expect(laterBefore).not.toHaveBeenCalled();
  });

  it('replays an undefined result without running the handler again', async () => {
    const { wrapped, handler } = orderHandler('middy-undefined', async () => undefined);
    const key = randomUUID();
    await wrapped(orderEvent(key), lambdaContext());

    await expect(wrapped(orderEvent(key), lambdaContext())).resolves.toBeUndefined();
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('releases its claim when the handler throws and rethrows the same error; a retry runs', async () => {
    const boom = new Error('inventory service down');
    let calls = 0;
    const { wrapped } = orderHandler('middy-throw', async () => {
      calls++;
      if (calls === 1) throw boom;
      return 'ok';
    });
    const key = randomUUID();

    await expect(wrapped(orderEvent(key), lambdaContext())).rejects.toBe(boom);
    expect(await table.getItem(recordId('middy-throw', key))).toBeUndefined();
    await expect(wrapped(orderEvent(key), lambdaContext())).resolves.toBe('ok');
  });

  it('does not release the running claim when a duplicate is rejected as in progress (onError acts only on its own claim)', async () => {
    let finish: () => void = () => undefined;
    const { wrapped } = orderHandler('middy-dup', () => new Promise((resolve) => (finish = () => resolve('done'))));
    const key = randomUUID();
    const first = wrapped(orderEvent(key), lambdaContext());
    await vi.waitFor(async () => expect(await table.getItem(recordId('middy-dup', key))).toBeDefined(), WAIT);
    const running = await table.getItem(recordId('middy-dup', key));

    await expect(wrapped(orderEvent(key), lambdaContext())).rejects.toBeInstanceOf(IdempotencyInProgressError);

    expect(await table.getItem(recordId('middy-dup', key))).toEqual(running);
    finish();
    await expect(first).resolves.toBe('done');
  });

  it('does not delete a completed record when a reused key with another payload is rejected', async () => {
    const { wrapped } = orderHandler('middy-mismatch', async () => 'first');
    const key = randomUUID();
    await wrapped(orderEvent(key, 100), lambdaContext());

    await expect(wrapped(orderEvent(key, 200), lambdaContext())).rejects.toBeInstanceOf(IdempotencyPayloadMismatchError);
    await expect(wrapped(orderEvent(key, 100), lambdaContext())).resolves.toBe('first');
  });

  it('keeps the completed record when a middleware after it throws in its own after hook', async () => {
    const handler = vi.fn(async () => 'stored');
    const failingAfter: MiddlewareObj<OrderEvent> = {
      after: async () => {
        throw new Error('serializer failed');
      },
    };
    // Registered first, so its `after` runs last, after idempotency completed the record.
    const wrapped = middy<OrderEvent, unknown, Error, Context>(handler)
      .use(failingAfter)
      .use(jsonBody())
      .use(idempotency<OrderEvent>({ store: table.store, name: 'middy-after', key: (e) => e.parsed?.orderKey }));
    const key = randomUUID();

    await expect(wrapped(orderEvent(key), lambdaContext())).rejects.toThrow('serializer failed');

    expect((await table.getItem(recordId('middy-after', key)))?.s).toEqual({ S: 'C' });
    await expect(wrapped(orderEvent(key), lambdaContext())).resolves.toBe('stored');
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('rejects an event without a key before the handler runs', async () => {
    const { wrapped, handler } = orderHandler('middy-missing', async () => 'never');
    await expect(wrapped({ body: '{}' }, lambdaContext())).rejects.toBeInstanceOf(IdempotencyKeyMissingError);
    expect(handler).not.toHaveBeenCalled();
  });

  it('rejects two idempotency middlewares on one handler before either runs it, leaving no claim behind', async () => {
    const name = `middy-twice-${randomUUID()}`;
    const handler = vi.fn(async () => ({ statusCode: 201, body: 'created' }));
    const wrapped = middy<OrderEvent, unknown, Error, Context>(handler)
      .use(jsonBody())
      .use(idempotency<OrderEvent>({ store: table.store, name, key: (e) => e.parsed?.orderKey }))
      .use(httpIdempotency({ store: table.store, name: `${name}-http` }) as unknown as MiddlewareObj<OrderEvent>);
    const orderKey = randomUUID();
    const event = {
      ...orderEvent(orderKey),
      version: '2.0',
      rawPath: '/orders',
      headers: { 'idempotency-key': `"${orderKey}"` },
      requestContext: { http: { method: 'POST', path: '/orders' } },
    };

    await expect(wrapped(event, lambdaContext())).rejects.toThrow(/use one idempotency middleware per handler/);

    expect(handler).not.toHaveBeenCalled();
    // The first middleware's claim was released by the error path, not left to block retries.
    expect(await table.getItem(recordId(name, orderKey))).toBeUndefined();
  });

  it('runs the handler exactly once for 50 concurrent invocations of one key', async () => {
    const { wrapped, handler } = orderHandler('middy-storm', async (e) => {
      await new Promise((r) => setTimeout(r, 20));
      return { orderId: `o_${e.parsed?.orderKey}` };
    });
    const key = randomUUID();

    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => wrapped(orderEvent(key), lambdaContext())));

    expect(handler).toHaveBeenCalledTimes(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') expect(outcome.value).toEqual({ orderId: `o_${key}` });
      else expect(outcome.reason).toBeInstanceOf(IdempotencyInProgressError);
    }
  });
});
