import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RequestCounter } from '../../bench/request-counter.js';
import { IdempotencyPayloadMismatchError, makeIdempotent, RecordCache, type DynamoDBStore } from '../../lambda/index.js';
import { countedStore, createLocalTable } from '../support/local-table.js';
import { lambdaContext } from '../support/lambda-context.js';

type Payment = { paymentId: string; amountCents: number };

describe('DynamoDB requests per call, counted on a real client against DynamoDB Local', () => {
  let store: DynamoDBStore;
  let counter: RequestCounter;
  beforeAll(async () => {
    ({ store, counter } = countedStore(await createLocalTable('counts')));
  });
  const context = lambdaContext({ functionName: 'request-counts' });

  function charge(options: { cache?: RecordCache } = {}) {
    let runs = 0;
    const handler = makeIdempotent(
      async (event: Payment) => {
        runs += 1;
        if (event.amountCents < 0) throw new Error('refund not allowed here');
        return { charged: event.amountCents, paymentId: event.paymentId };
      },
      { store, key: (event) => event.paymentId, ...options },
    );
    return { handler, runs: () => runs };
  }

  async function requestsFor(call: () => Promise<unknown>): Promise<Record<string, number>> {
    counter.reset();
    await call().catch(() => undefined);
    return counter.count.byOperation;
  }

  it('sends two requests on a first execution: the claim and the completion', async () => {
    const { handler } = charge();
    const sent = await requestsFor(() => handler({ paymentId: 'first', amountCents: 100 }, context));
    expect(sent).toEqual({ PutItem: 2 });
  });

  it('sends one request on a replay: the claim whose failure returns the record', async () => {
    const { handler, runs } = charge();
    await handler({ paymentId: 'replay', amountCents: 100 }, context);
    const sent = await requestsFor(() => handler({ paymentId: 'replay', amountCents: 100 }, context));
    expect(sent).toEqual({ PutItem: 1 });
    expect(runs()).toBe(1);
  });

  it('sends one request when a key is reused with a different payload', async () => {
    const { handler } = charge();
    await handler({ paymentId: 'mismatch', amountCents: 100 }, context);
    counter.reset();
    await expect(handler({ paymentId: 'mismatch', amountCents: 999 }, context)).rejects.toBeInstanceOf(
      IdempotencyPayloadMismatchError,
    );
    expect(counter.count.byOperation).toEqual({ PutItem: 1 });
  });

  it('sends two requests when the handler throws: the claim and its release', async () => {
    const { handler } = charge();
    const sent = await requestsFor(() => handler({ paymentId: 'throws', amountCents: -1 }, context));
    expect(sent).toEqual({ PutItem: 1, DeleteItem: 1 });
  });

  it('sends no request on a replay served from the cache', async () => {
    const { handler, runs } = charge({ cache: new RecordCache({ maxEntries: 10 }) });
    await handler({ paymentId: 'cached', amountCents: 100 }, context);
    const sent = await requestsFor(async () => {
      expect(await handler({ paymentId: 'cached', amountCents: 100 }, context)).toEqual({
        charged: 100,
        paymentId: 'cached',
      });
    });
    expect(sent).toEqual({});
    expect(runs()).toBe(1);
  });

  it('sends no request to reject a mismatch against a cached record', async () => {
    const { handler } = charge({ cache: new RecordCache({ maxEntries: 10 }) });
    await handler({ paymentId: 'cached-mismatch', amountCents: 100 }, context);
    counter.reset();
    await expect(handler({ paymentId: 'cached-mismatch', amountCents: 5 }, context)).rejects.toBeInstanceOf(
      IdempotencyPayloadMismatchError,
    );
    expect(counter.count.requests).toBe(0);
  });

  describe('with a result over the inline limit, kept in an item of its own', () => {
    function bigResult(options: { cache?: RecordCache } = {}) {
      let runs = 0;
      const blob = 'receipt line\n'.repeat(50).concat(randomBytes(12_000).toString('base64'));
      const handler = makeIdempotent(
        async (event: Payment) => {
          runs += 1;
          return { paymentId: event.paymentId, blob };
        },
        { store, key: (event) => event.paymentId, ...options },
      );
      return { handler, runs: () => runs, blob };
    }

    it('sends three requests on a first execution: the claim, the result item, the completion', async () => {
      const { handler } = bigResult();
      const sent = await requestsFor(() => handler({ paymentId: 'big-first', amountCents: 1 }, context));
      expect(sent).toEqual({ PutItem: 3 });
    });

    it('sends two on a replay: the claim, and one read of the result item', async () => {
      const { handler, runs, blob } = bigResult();
      await handler({ paymentId: 'big-replay', amountCents: 1 }, context);
      counter.reset();
      expect(await handler({ paymentId: 'big-replay', amountCents: 1 }, context)).toEqual({ paymentId: 'big-replay', blob });
      expect(counter.count.byOperation).toEqual({ PutItem: 1, GetItem: 1 });
      expect(runs()).toBe(1);
    });

    it('sends one to reject a reused key with a different payload: the result is not read', async () => {
      const { handler } = bigResult();
      await handler({ paymentId: 'big-mismatch', amountCents: 1 }, context);
      const sent = await requestsFor(() => handler({ paymentId: 'big-mismatch', amountCents: 2 }, context));
      expect(sent).toEqual({ PutItem: 1 });
    });

    it('sends none on a cached replay after one replay has read it', async () => {
      const { handler, blob } = bigResult({ cache: new RecordCache({ maxEntries: 10 }) });
      await handler({ paymentId: 'big-cached', amountCents: 1 }, context);
      const sent = await requestsFor(async () => {
        expect(await handler({ paymentId: 'big-cached', amountCents: 1 }, context)).toEqual({ paymentId: 'big-cached', blob });
      });
      expect(sent).toEqual({});
    });
  });

  it('counts the serialized bytes of every request body', async () => {
    const { handler } = charge();
    counter.reset();
    await handler({ paymentId: 'bytes', amountCents: 100 }, context);
    // Two JSON bodies, each naming the table and the record: far from empty, far below a KB each.
    expect(counter.count.bodyBytes).toBeGreaterThan(200);
    expect(counter.count.bodyBytes).toBeLessThan(2048);
  });
});
