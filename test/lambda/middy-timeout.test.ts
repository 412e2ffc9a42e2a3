/**
 * Middy's early timeout (`timeoutEarlyInMillis`) answers an invocation shortly before its deadline
 * while the handler keeps running. The claim must stay: a retry must not run the handler again.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  IdempotencyInProgressError,
  httpIdempotency,
  idempotency,
  type HttpEvent,
  type HttpResponse,
} from '../../lambda/index.js';
import { createLocalTable, type LocalTable } from '../support/local-table.js';
import { lambdaContext, recordingLogger } from '../support/lambda-context.js';
import { httpV2 } from './http/events.js';

let table: LocalTable;

beforeAll(async () => {
  table = await createLocalTable('middy-timeout');
});

/** A Lambda context whose deadline is `budgetMs` from now, counting down like the real one. */
function contextWithDeadline(budgetMs: number): Context {
  const deadline = Date.now() + budgetMs;
  return { ...lambdaContext(), getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
}

/** A handler that takes `runMs` and counts how many times its side effect started and finished. */
function slowSideEffect(runMs: number) {
  const effects = { started: 0, finished: 0 };
  const handler = async () => {
    effects.started++;
    await sleep(runMs);
    effects.finished++;
    return { statusCode: 201, body: `order ${effects.started}` };
  };
  return { handler, effects };
}

describe('a Middy early timeout while the handler still runs', () => {
  it('keeps the claim under idempotency(): an immediate retry is refused, not run again', async () => {
    const { handler, effects } = slowSideEffect(600);
    const logger = recordingLogger();
    const wrapped = middy<{ id: string }, unknown, Error, Context>(handler, { timeoutEarlyInMillis: 50 }).use(
      idempotency<{ id: string }>({ store: table.store, name: `timeout-${randomUUID()}`, key: (e) => e.id, logger }),
    );
    const event = { id: randomUUID() };

    await expect(wrapped(event, contextWithDeadline(250))).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(wrapped(event, contextWithDeadline(10_000))).rejects.toBeInstanceOf(IdempotencyInProgressError);
    await sleep(700);

    expect(effects).toEqual({ started: 1, finished: 1 });
    expect(logger.warnings.join()).toMatch(/timed out with its handler still running/);
  });

  it('keeps the claim under httpIdempotency(): an immediate retry gets 409, not a second run', async () => {
    const { handler, effects } = slowSideEffect(600);
    const wrapped = middy<HttpEvent, unknown, Error, Context>(handler, { timeoutEarlyInMillis: 50 }).use(
      httpIdempotency({ store: table.store, name: `timeout-${randomUUID()}`, scope: () => 'tenant-1', logger: recordingLogger() }),
    );
    const request = () => httpV2({ method: 'POST', body: '{"amount":1}', headers: { 'Idempotency-Key': key } });
    const key = randomUUID();

    await expect(wrapped(request(), contextWithDeadline(250))).rejects.toMatchObject({ name: 'TimeoutError' });
    const retry = (await wrapped(request(), contextWithDeadline(10_000))) as HttpResponse;
    await sleep(700);

    expect(retry.statusCode).toBe(409);
    expect(effects.started).toBe(1);
  });

  it('keeps the claim when a custom timeout response (a 504) is sent while the handler runs', async () => {
    const { handler, effects } = slowSideEffect(600);
    const wrapped = middy<HttpEvent, unknown, Error, Context>(handler, {
      timeoutEarlyInMillis: 50,
      timeoutEarlyResponse: () => ({ statusCode: 504, body: 'timed out' }),
    }).use(httpIdempotency({ store: table.store, name: `timeout-${randomUUID()}`, scope: () => 'tenant-1', logger: recordingLogger() }));
    const key = randomUUID();
    const request = () => httpV2({ method: 'POST', body: '{"amount":1}', headers: { 'Idempotency-Key': key } });

    expect(((await wrapped(request(), contextWithDeadline(250))) as HttpResponse).statusCode).toBe(504);
    const retry = (await wrapped(request(), contextWithDeadline(10_000))) as HttpResponse;
    await sleep(700);

    expect(retry.statusCode).toBe(409);
    expect(effects.started).toBe(1);
  });

  it('still releases the claim of a handler that failed well before its deadline, so a retry runs', async () => {
    let runs = 0;
    const wrapped = middy<{ id: string }, unknown, Error, Context>(
      async () => {
        if (++runs === 1) throw new Error('card declined');
        return 'charged';
      },
      { timeoutEarlyInMillis: 50 },
    ).use(idempotency<{ id: string }>({ store: table.store, name: `timeout-${randomUUID()}`, key: (e) => e.id }));
    const event = { id: randomUUID() };

    await expect(wrapped(event, contextWithDeadline(10_000))).rejects.toThrow('card declined');
    expect(await wrapped(event, contextWithDeadline(10_000))).toBe('charged');
    expect(runs).toBe(2);
  });
});
