import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ProvisionedThroughputExceededException,
  type AttributeValue,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DynamoDBStore,
  IdempotencyError,
  IdempotencyInProgressError,
  IdempotencyKeyInvalidError,
  IdempotencyKeyMissingError,
  IdempotencyPayloadMismatchError,
  IdempotencyResultUnavailableError,
  IdempotencyStoreError,
  httpIdempotency,
  idempotency,
  makeIdempotent,
} from '../../../lambda/index.js';
import { COMPLETION_CONDITION, completionCalls, isCompletion } from '../../support/completion-calls.js';
import { lambdaContext, recordingLogger } from '../../support/lambda-context.js';

const ddb = mockClient(DynamoDBClient);
/** Matches a completion's input, for mocks that answer completions apart from claims. */
const COMPLETION = { ConditionExpression: COMPLETION_CONDITION };

/** The claims sent: every `PutItem` but the completions. */
function claimCalls() {
  return ddb
    .commandCalls(PutItemCommand)
    .map((call) => call.args[0].input)
    .filter((input) => !isCompletion(input));
}
const client = new DynamoDBClient({ region: 'us-east-1' });
const store = new DynamoDBStore({ tableName: 'idempotency', client });
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

type Order = { orderId: unknown; amount?: number; note?: string };

function conditionFailed(item?: Record<string, AttributeValue>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: item });
}

function completedItem(claim: PutItemCommandInput, result?: AttributeValue, extra: Record<string, AttributeValue> = {}) {
  const item = claim.Item ?? {};
  return {
    id: item.id,
    s: { S: 'C' },
    f: item.f,
    expiration: { N: String(NOW / 1000 + 3600) },
    ...(result ? { r: result } : {}),
    ...extra,
  };
}

/** Captures the first claim a handler makes, so a second call can be answered with a record built from it. */
async function firstClaim(handler: (e: Order, c: ReturnType<typeof lambdaContext>) => Promise<unknown>, event: Order) {
  ddb.on(PutItemCommand).resolves({});
  await handler(event, lambdaContext());
  const claim = ddb.commandCalls(PutItemCommand)[0].args[0].input;
  ddb.reset();
  return claim;
}

function wrap<T>(fn: (event: Order) => Promise<T> | T, logger = recordingLogger()) {
  return makeIdempotent(fn, { store, name: 'orders', key: (e) => e.orderId as string, logger });
}

beforeEach(() => {
  ddb.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('first execution', () => {
  it('claims with a conditional PutItem returning ALL_OLD, then completes: exactly two requests', async () => {
    ddb.on(PutItemCommand).resolves({});
    const handler = vi.fn(async () => ({ ok: true }));

    const result = await wrap(handler)({ orderId: 'order-1', amount: 5 }, lambdaContext({ remainingMs: 10_000 }));

    expect(result).toEqual({ ok: true });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(ddb.calls()).toHaveLength(2);
    const put = ddb.commandCalls(PutItemCommand)[0].args[0].input;
    expect(put.TableName).toBe('idempotency');
    expect(put.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(put.ConditionExpression).toBe(
      'attribute_not_exists(id) OR #e < :nowS OR (s = :p AND l < :nowMs AND f = :f)',
    );
    expect(put.Item).toMatchObject({
      id: { S: expect.stringMatching(/^orders#[A-Za-z0-9_-]{22}$/) },
      s: { S: 'P' },
      o: { S: expect.any(String) },
      f: { S: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) },
      l: { N: String(NOW + 10_000 + 3_000) },
      expiration: { N: String(NOW / 1000 + 86_400) },
    });
    expect(put.ExpressionAttributeValues).toMatchObject({ ':nowS': { N: String(NOW / 1000) }, ':nowMs': { N: String(NOW) } });

    // The completion puts the whole completed record over the claim its owner still holds,
    // which also drops the lease.
    const [completion] = completionCalls(ddb);
    expect(completion).toEqual({
      TableName: 'idempotency',
      Item: {
        id: put.Item?.id,
        s: { S: 'C' },
        o: put.Item?.o,
        f: put.Item?.f,
        expiration: { N: String(NOW / 1000 + 86_400) },
        r: { S: '{"ok":true}' },
      },
      ConditionExpression: 'o = :o AND s = :p',
      ExpressionAttributeValues: { ':o': put.Item?.o, ':p': { S: 'P' } },
    });
    // Not asked for ALL_OLD: the rare failed completion reads the record instead (see store failures).
  });

  it('never stores the raw key or the payload', async () => {
    ddb.on(PutItemCommand).resolves({});

    await wrap(() => 'done')({ orderId: 'secret-key-123', note: 'card 4242' }, lambdaContext());

    const written = JSON.stringify(ddb.calls().map((c) => c.args[0].input));
    expect(written).not.toContain('secret-key-123');
    expect(written).not.toContain('card 4242');
  });

  it('computes key and fingerprint once, so a handler that mutates its event completes its own record', async () => {
    ddb.on(PutItemCommand).resolves({});

    await wrap((event) => {
      event.orderId = 'someone-else';
      return 1;
    })({ orderId: 'order-1' }, lambdaContext());

    const put = ddb.commandCalls(PutItemCommand)[0].args[0].input;
    expect(completionCalls(ddb)[0].Item?.id).toEqual(put.Item?.id);
  });

  it('gives each invocation its own owner token', async () => {
    ddb.on(PutItemCommand).resolves({});
    const handler = wrap(() => 1);

    await handler({ orderId: 'a' }, lambdaContext());
    await handler({ orderId: 'b' }, lambdaContext());

    const [first, second] = claimCalls().map((claim) => claim.Item?.o?.S);
    expect(first).not.toEqual(second);
  });
});

describe('records in the way', () => {
  it('replays a completed result with one request and without running the handler', async () => {
    const handler = vi.fn(async () => ({ total: 42, items: [1, null, 'x'] }));
    const claim = await firstClaim(wrap(handler), { orderId: 'order-1' });
    ddb.on(PutItemCommand).rejects(conditionFailed(completedItem(claim, { S: '{"total":42,"items":[1,null,"x"]}' })));
    handler.mockClear();

    const result = await wrap(handler)({ orderId: 'order-1' }, lambdaContext());

    expect(result).toEqual({ total: 42, items: [1, null, 'x'] });
    expect(handler).not.toHaveBeenCalled();
    expect(ddb.calls()).toHaveLength(1);
  });

  it('replays undefined when the completed record has no result', async () => {
    const handler = vi.fn(async () => 'first');
    const claim = await firstClaim(wrap(handler), { orderId: 'order-1' });
    ddb.on(PutItemCommand).rejects(conditionFailed(completedItem(claim)));
    handler.mockClear();

    await expect(wrap(handler)({ orderId: 'order-1' }, lambdaContext())).resolves.toBeUndefined();
    expect(handler).not.toHaveBeenCalled();
  });

  it('rejects a reused key with a different payload with one request and writes nothing', async () => {
    const claim = await firstClaim(wrap(() => 1), { orderId: 'order-1', amount: 5 });
    ddb.on(PutItemCommand).rejects(conditionFailed(completedItem(claim, { S: '1' })));
    const handler = vi.fn();

    await expect(wrap(handler)({ orderId: 'order-1', amount: 6 }, lambdaContext())).rejects.toBeInstanceOf(
      IdempotencyPayloadMismatchError,
    );
    expect(handler).not.toHaveBeenCalled();
    expect(ddb.calls()).toHaveLength(1);
  });

  it('rejects a different payload even while the first run is in progress', async () => {
    const claim = await firstClaim(wrap(() => 1), { orderId: 'order-1', amount: 5 });
    ddb.on(PutItemCommand).rejects(
      conditionFailed({ ...claim.Item, l: { N: String(NOW + 5_000) }, o: { S: 'other-owner' } }),
    );

    await expect(wrap(vi.fn())({ orderId: 'order-1', amount: 6 }, lambdaContext())).rejects.toBeInstanceOf(
      IdempotencyPayloadMismatchError,
    );
  });

  it('reports a live claim as in progress with the time left on its lease, and deletes nothing', async () => {
    const claim = await firstClaim(wrap(() => 1), { orderId: 'order-1' });
    ddb.on(PutItemCommand).rejects(
      conditionFailed({ ...claim.Item, o: { S: 'other-owner' }, l: { N: String(NOW + 7_500) } }),
    );
    const handler = vi.fn();

    const error = await wrap(handler)({ orderId: 'order-1' }, lambdaContext()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IdempotencyInProgressError);
    expect((error as IdempotencyInProgressError).retryAfterMs).toBe(7_500);
    expect(handler).not.toHaveBeenCalled();
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(0);
    expect(completionCalls(ddb)).toHaveLength(0);
  });

  it('treats its own token in the way as its own claim (the SDK retried a claim whose response was lost)', async () => {
    ddb.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
      if (isCompletion(input)) return {};
      throw conditionFailed(input.Item);
    });
    const handler = vi.fn(async () => 'charged');

    await expect(wrap(handler)({ orderId: 'order-1' }, lambdaContext())).resolves.toBe('charged');
    expect(handler).toHaveBeenCalledTimes(1);
    expect(completionCalls(ddb)).toHaveLength(1);
  });

  it('counts a record past its expiration as absent, and claims again instead of replaying it', async () => {
    const claim = await firstClaim(wrap(() => 'old'), { orderId: 'order-1' });
    ddb
      .on(PutItemCommand)
      .rejectsOnce(conditionFailed(completedItem(claim, { S: '"old"' }, { expiration: { N: String(NOW / 1000 - 1) } })))
      .resolves({});
    const handler = vi.fn(async () => 'new');

    await expect(wrap(handler)({ orderId: 'order-1' }, lambdaContext())).resolves.toBe('new');
    expect(handler).toHaveBeenCalledTimes(1);
    expect(claimCalls()).toHaveLength(2);
  });

  it('fails with IdempotencyResultUnavailableError, without running the handler, when the result was not stored', async () => {
    const claim = await firstClaim(wrap(() => 1), { orderId: 'order-1' });
    ddb.on(PutItemCommand).rejects(conditionFailed(completedItem(claim, undefined, { u: { S: 'too-large' } })));
    const handler = vi.fn();

    const error = await wrap(handler)({ orderId: 'order-1' }, lambdaContext()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IdempotencyResultUnavailableError);
    expect((error as IdempotencyResultUnavailableError).reason).toBe('too-large');
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('handler failures', () => {
  it('releases its claim with a delete conditional on its token, and rethrows the same error', async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(DeleteItemCommand).resolves({});
    const boom = new Error('card declined');

    await expect(wrap(() => Promise.reject(boom))({ orderId: 'order-1' }, lambdaContext())).rejects.toBe(boom);

    const put = ddb.commandCalls(PutItemCommand)[0].args[0].input;
    const del = ddb.commandCalls(DeleteItemCommand)[0].args[0].input;
    expect(ddb.calls()).toHaveLength(2);
    expect(del.Key).toEqual({ id: put.Item?.id });
    expect(del.ConditionExpression).toBe('o = :o AND s = :p');
    expect(del.ExpressionAttributeValues).toEqual({ ':o': put.Item?.o, ':p': { S: 'P' } });
  });

  it('still rethrows the handler error when the release itself fails, and logs it', async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(DeleteItemCommand).rejects(new Error('socket hang up'));
    const logger = recordingLogger();
    const boom = new Error('card declined');

    await expect(wrap(() => Promise.reject(boom), logger)({ orderId: 'order-1' }, lambdaContext())).rejects.toBe(boom);
    expect(logger.errors).toHaveLength(1);
  });
});

describe('store failures', () => {
  it('fails closed when the claim is throttled: IdempotencyStoreError with the cause, handler not run', async () => {
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    ddb.on(PutItemCommand).rejects(throttled);
    const handler = vi.fn();

    const error = await wrap(handler)({ orderId: 'order-1' }, lambdaContext()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect((error as Error).cause).toBe(throttled);
    expect(handler).not.toHaveBeenCalled();
  });

  it('says which operation failed and what did not run', () => {
    const cause = new Error('socket hang up');
    const claim = new IdempotencyStoreError('claim', { cause });
    const stepRead = new IdempotencyStoreError('step read', { cause });
    const complete = new IdempotencyStoreError('complete', { cause });

    expect(claim.operation).toBe('claim');
    expect(claim.message).toBe('idempotency store claim failed: Error: socket hang up; the handler did not run, retry later');
    expect(stepRead.message).toContain('the step did not run');
    expect(complete.message).toBe('idempotency store complete failed: Error: socket hang up; retry later');
  });

  it('fails closed on a network error before the handler runs', async () => {
    ddb.on(PutItemCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { name: 'TimeoutError' }));
    const handler = vi.fn();

    await expect(wrap(handler)({ orderId: 'order-1' }, lambdaContext())).rejects.toBeInstanceOf(IdempotencyStoreError);
    expect(handler).not.toHaveBeenCalled();
  });

  it('retries a failed completion with backoff and returns the result once it lands', async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb
      .on(PutItemCommand, COMPLETION)
      .rejectsOnce(new Error('throttled'))
      .rejectsOnce(new Error('throttled'))
      .resolves({});

    await expect(wrap(() => 'done')({ orderId: 'order-1' }, lambdaContext())).resolves.toBe('done');
    expect(completionCalls(ddb)).toHaveLength(3);
  });

  it('returns the result and logs when the completion never lands (the work is done)', async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(PutItemCommand, COMPLETION).rejects(new Error('network down'));
    const logger = recordingLogger();

    await expect(wrap(() => 'done', logger)({ orderId: 'order-1' }, lambdaContext())).resolves.toBe('done');
    expect(completionCalls(ddb)).toHaveLength(4);
    expect(logger.errors).toHaveLength(1);
  });

  it('recognises its own completion when the write landed, its response was lost and the retry failed its condition', async () => {
    ddb.on(PutItemCommand).resolves({});
    // The first completion lands in the table, but its response never arrives; the retry then
    // fails its condition, and a strong read finds the record completed by this very owner.
    ddb.on(PutItemCommand, COMPLETION)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))
      .rejects(conditionFailed());
    ddb.on(GetItemCommand).callsFake(() => ({
      Item: { s: { S: 'C' }, o: completionCalls(ddb)[0].Item?.o ?? { S: '' } },
    }));
    const logger = recordingLogger();

    await expect(wrap(() => 'done', logger)({ orderId: 'order-1' }, lambdaContext())).resolves.toBe('done');

    expect(completionCalls(ddb)).toHaveLength(2);
    const read = ddb.commandCalls(GetItemCommand)[0].args[0].input;
    expect(read).toMatchObject({ ConsistentRead: true, ProjectionExpression: 's, o' });
    expect(read.Key).toEqual({ id: completionCalls(ddb)[0].Item?.id });
    expect(logger.warnings).toEqual([]);
    expect(logger.errors).toEqual([]);
  });

  it('still reports a lost claim when the completed record in the way is another owner’s', async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(PutItemCommand, COMPLETION).rejects(conditionFailed());
    ddb.on(GetItemCommand).resolves({ Item: { s: { S: 'C' }, o: { S: 'someone-else' } } });
    const logger = recordingLogger();

    await expect(wrap(() => 'done', logger)({ orderId: 'order-1' }, lambdaContext())).resolves.toBe('done');
    expect(logger.warnings).toEqual(['retry-safe: lease lapsed before completion; result not stored']);
  });

  it('returns the result and warns when the claim was lost before completion', async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(PutItemCommand, COMPLETION).rejects(conditionFailed());
    ddb.on(GetItemCommand).resolves({});
    const logger = recordingLogger();

    await expect(wrap(() => 'done', logger)({ orderId: 'order-1' }, lambdaContext())).resolves.toBe('done');
    expect(completionCalls(ddb)).toHaveLength(1);
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(1);
    expect(logger.warnings).toHaveLength(1);
  });
});

describe('large results, kept out of the record', () => {
  // JSON that brotli cannot shrink below the 8 KB inline limit: random base64.
  const large = () => ({ blob: randomBytes(20_000).toString('base64') });

  it('writes the result to an item of its own first, then completes the record pointing at it', async () => {
    ddb.on(PutItemCommand).resolves({});

    await wrap(large)({ orderId: 'order-1' }, lambdaContext());

    const [claim, resultPut, completion] = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(ddb.calls()).toHaveLength(3);
    expect(isCompletion(completion)).toBe(true);
    expect(resultPut.Item?.id?.S).toBe(`${claim.Item?.id?.S}#result#${claim.Item?.o?.S}`);
    expect(resultPut.Item?.r?.B?.[0]).toBe(0xfe);
    expect(resultPut.Item?.expiration).toEqual(completion.Item?.expiration);
    expect(resultPut.ConditionExpression).toBeUndefined();
    expect(completion.Item?.R).toEqual(resultPut.Item?.id);
    expect(completion.Item?.r).toBeUndefined();
  });

  it('keeps a result at the limit in the record, and one byte over apart, by a configurable limit', async () => {
    const small = new DynamoDBStore({ tableName: 'idempotency', client, maxInlineResultBytes: 10 });
    const run = (value: string) =>
      makeIdempotent(() => value, { store: small, name: 'orders', key: (e: Order) => e.orderId as string })({ orderId: value }, lambdaContext());
    ddb.on(PutItemCommand).resolves({});

    await run('12345678'); // "12345678" with its quotes: 10 bytes
    expect(ddb.calls()).toHaveLength(2);
    ddb.resetHistory();
    await run('123456789');
    expect(ddb.calls()).toHaveLength(3);
  });

  it('rejects a negative or NaN maxInlineResultBytes', () => {
    expect(() => new DynamoDBStore({ tableName: 't', client, maxInlineResultBytes: -1 })).toThrow(/maxInlineResultBytes/);
    expect(() => new DynamoDBStore({ tableName: 't', client, maxInlineResultBytes: Number.NaN })).toThrow(/maxInlineResultBytes/);
  });

  it('replays it with the failed claim and one eventually consistent read, without running the handler', async () => {
    const value = large();
    ddb.on(PutItemCommand).resolves({});
    await wrap(() => value)({ orderId: 'order-1' }, lambdaContext());
    const [claim] = claimCalls();
    const stored = ddb.commandCalls(PutItemCommand)[1].args[0].input.Item;
    ddb.reset();
    ddb.on(PutItemCommand).rejects(conditionFailed(completedItem(claim, undefined, { R: stored?.id ?? { S: '' } })));
    ddb.on(GetItemCommand).resolves({ Item: { r: stored?.r ?? { S: 'null' } } });
    const handler = vi.fn(() => value);

    await expect(wrap(handler)({ orderId: 'order-1' }, lambdaContext())).resolves.toEqual(value);

    expect(handler).not.toHaveBeenCalled();
    expect(ddb.calls()).toHaveLength(2);
    expect(ddb.commandCalls(GetItemCommand)[0].args[0].input).toMatchObject({
      Key: { id: stored?.id },
      ConsistentRead: false,
      ProjectionExpression: 'r',
    });
  });

  it('reads strongly consistent when the eventually consistent read has not seen the item yet', async () => {
    const claim = await firstClaim(wrap(() => 1), { orderId: 'order-1' });
    ddb.on(PutItemCommand).rejects(conditionFailed(completedItem(claim, undefined, { R: { S: 'orders#x#result#y' } })));
    ddb.on(GetItemCommand).resolvesOnce({}).resolves({ Item: { r: { S: '{"late":true}' } } });

    await expect(wrap(() => 'not run')({ orderId: 'order-1' }, lambdaContext())).resolves.toEqual({ late: true });
    expect(ddb.commandCalls(GetItemCommand).map((c) => c.args[0].input.ConsistentRead)).toEqual([false, true]);
  });

  it('fails with IdempotencyStoreError, handler not run, when the result item is gone or unreadable', async () => {
    const claim = await firstClaim(wrap(() => 1), { orderId: 'order-1' });
    ddb.on(PutItemCommand).rejects(conditionFailed(completedItem(claim, undefined, { R: { S: 'orders#x#result#y' } })));
    ddb.on(GetItemCommand).resolves({});
    const handler = vi.fn(() => 'ran');
    const logger = recordingLogger();

    const missing = wrap(handler, logger)({ orderId: 'order-1' }, lambdaContext());
    await expect(missing).rejects.toThrow(IdempotencyStoreError);
    await expect(missing).rejects.toThrow(/read of the stored result failed: Error: the result item orders#x#result#y is missing/);
    ddb.on(GetItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    await expect(wrap(handler, logger)({ orderId: 'order-1' }, lambdaContext())).rejects.toMatchObject({
      name: 'IdempotencyStoreError',
      operation: 'read of the stored result',
    });
    expect(handler).not.toHaveBeenCalled();
    expect(logger.errors).toHaveLength(2);
  });

  it('returns the result and logs, completing nothing, when the result item cannot be written', async () => {
    ddb.on(PutItemCommand).resolvesOnce({}).rejects(new Error('network down'));
    const handler = vi.fn(large);
    const logger = recordingLogger();

    await wrap(handler, logger)({ orderId: 'order-1' }, lambdaContext());

    expect(handler).toHaveBeenCalledTimes(1);
    expect(completionCalls(ddb)).toHaveLength(0);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(5); // the claim, then the result item tried 4 times
    expect(logger.errors).toEqual(['retry-safe: result not stored; a retry after the lease runs again']);
  });
});

describe('bad keys', () => {
  const cases: [string, unknown][] = [
    ['a number', 42],
    ['an object', { id: 1 }],
    ['an empty string', ''],
    ['2049 characters', 'k'.repeat(2049)],
    ['a newline', 'abc\ndef'],
    ['a NUL', 'abc\u0000'],
    ['DEL', 'abc\u007f'],
  ];
  for (const [label, key] of cases) {
    it(`rejects a key that is ${label} with IdempotencyKeyInvalidError, without any request`, async () => {
      const handler = vi.fn();
      await expect(wrap(handler)({ orderId: key }, lambdaContext())).rejects.toBeInstanceOf(IdempotencyKeyInvalidError);
      expect(handler).not.toHaveBeenCalled();
      expect(ddb.calls()).toHaveLength(0);
    });
  }

  it('accepts a key of exactly 255 characters', async () => {
    ddb.on(PutItemCommand).resolves({});
    await expect(wrap(() => 'ok')({ orderId: 'k'.repeat(255) }, lambdaContext())).resolves.toBe('ok');
  });

  it('rejects a missing key with IdempotencyKeyMissingError when required', async () => {
    const handler = vi.fn();
    await expect(wrap(handler)({ orderId: undefined }, lambdaContext())).rejects.toBeInstanceOf(IdempotencyKeyMissingError);
    expect(handler).not.toHaveBeenCalled();
  });

  it('runs the handler without any request when the key is missing and not required', async () => {
    const handler = makeIdempotent(async (e: Order) => `ran ${String(e.orderId)}`, {
      store,
      name: 'orders',
      key: (e) => e.orderId as string | undefined,
      required: false,
    });
    await expect(handler({ orderId: undefined }, lambdaContext())).resolves.toBe('ran undefined');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('rejects a key function that throws on a malformed event with IdempotencyKeyInvalidError', async () => {
    const handler = makeIdempotent(async () => 1, {
      store,
      name: 'orders',
      key: (e: { body?: { id: string } }) => e.body!.id,
    });
    const error = await handler({}, lambdaContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyKeyInvalidError);
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });

  it('rejects an event that is not JSON-representable when the key defaults to the event hash', async () => {
    const handler = makeIdempotent(async () => 1, { store, name: 'orders' });
    await expect(handler({ amount: 10n } as never, lambdaContext())).rejects.toBeInstanceOf(IdempotencyKeyInvalidError);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('defaults', () => {
  it('keys on the canonical whole event: key order and whitespace do not count', async () => {
    ddb.on(PutItemCommand).resolves({});
    const handler = makeIdempotent(async () => 1, { store, name: 'orders' });

    await handler({ a: 1, b: { c: [1, 2], d: 'x' } } as never, lambdaContext());
    await handler({ b: { d: 'x', c: [1, 2] }, a: 1 } as never, lambdaContext());
    await handler({ a: 2, b: { d: 'x', c: [1, 2] } } as never, lambdaContext());

    const [first, reordered, changed] = claimCalls().map((claim) => claim.Item);
    expect(reordered?.id).toEqual(first?.id);
    expect(reordered?.f).toEqual(first?.f);
    expect(changed?.id).not.toEqual(first?.id);
  });

  it('names the operation after AWS_LAMBDA_FUNCTION_NAME, else the context function name', async () => {
    ddb.on(PutItemCommand).resolves({});
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'from-env');
    try {
      await makeIdempotent(async () => 1, { store, key: () => 'k' })({}, lambdaContext({ functionName: 'from-context' }));
    } finally {
      vi.unstubAllEnvs();
    }
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', '');
    try {
      await makeIdempotent(async () => 1, { store, key: () => 'k' })({}, lambdaContext({ functionName: 'from-context' }));
    } finally {
      vi.unstubAllEnvs();
    }

    const ids = claimCalls().map((claim) => claim.Item?.id?.S);
    expect(ids[0]).toMatch(/^from-env#/);
    expect(ids[1]).toMatch(/^from-context#/);
  });

  it('keeps two operations sharing one table and one key apart', async () => {
    ddb.on(PutItemCommand).resolves({});

    await makeIdempotent(async () => 1, { store, name: 'charge', key: () => 'k' })({}, lambdaContext());
    await makeIdempotent(async () => 1, { store, name: 'refund', key: () => 'k' })({}, lambdaContext());

    const [charge, refund] = claimCalls().map((claim) => claim.Item?.id?.S);
    expect(charge).not.toEqual(refund);
  });
});

describe('lease', () => {
  it('leases for the remaining time plus a 3 s margin', async () => {
    ddb.on(PutItemCommand).resolves({});
    await wrap(() => 1)({ orderId: 'a' }, lambdaContext({ remainingMs: 60_000 }));
    expect(ddb.commandCalls(PutItemCommand)[0].args[0].input.Item?.l).toEqual({ N: String(NOW + 63_000) });
  });

  it('leases at least 8 s when the Lambda is about to time out', async () => {
    ddb.on(PutItemCommand).resolves({});
    await wrap(() => 1)({ orderId: 'a' }, lambdaContext({ remainingMs: 10 }));
    expect(ddb.commandCalls(PutItemCommand)[0].args[0].input.Item?.l).toEqual({ N: String(NOW + 8_000) });
  });

  it.each([
    ['1e200', 1e200],
    ['Number.MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
    ['Infinity', Infinity],
  ])('caps the lease at Lambda’s 15 minutes plus the margin when the context reports %s ms left', async (_, remainingMs) => {
    ddb.on(PutItemCommand).resolves({});
    await expect(wrap(() => 1)({ orderId: 'a' }, lambdaContext({ remainingMs }))).resolves.toBe(1);
    expect(ddb.commandCalls(PutItemCommand)[0].args[0].input.Item?.l).toEqual({ N: String(NOW + 903_000) });
  });

  it('leases for Lambda’s longest timeout when there is no context', async () => {
    ddb.on(PutItemCommand).resolves({});
    await wrap(() => 1)({ orderId: 'a' }, undefined as never);
    expect(ddb.commandCalls(PutItemCommand)[0].args[0].input.Item?.l).toEqual({ N: String(NOW + 903_000) });
  });

  it('keeps an in-progress record alive at least as long as its lease, even with a short TTL', async () => {
    ddb.on(PutItemCommand).resolves({});
    const handler = makeIdempotent(async () => 1, { store, name: 'orders', key: () => 'k', ttlSeconds: 1 });
    await handler({}, lambdaContext({ remainingMs: 60_000 }));
    const expiration = Number(ddb.commandCalls(PutItemCommand)[0].args[0].input.Item?.expiration?.N);
    expect(expiration * 1000).toBeGreaterThan(NOW + 63_000);
  });
});

describe('options', () => {
  it('rejects a missing store at wrap time', () => {
    expect(() => makeIdempotent(async () => 1, {} as never)).toThrow(/options.store is required/);
  });

  it('rejects a ttlSeconds that is not a positive whole number at wrap time', () => {
    expect(() => makeIdempotent(async () => 1, { store, ttlSeconds: 0 })).toThrow(/ttlSeconds/);
    expect(() => makeIdempotent(async () => 1, { store, ttlSeconds: 1.5 })).toThrow(/ttlSeconds/);
  });

  it('rejects, at wrap time, an operation name too long to be part of a record key', () => {
    const name = 'n'.repeat(2100);
    expect(() => makeIdempotent(async () => 1, { store, name })).toThrow(/options.name is 2100 bytes long, the limit is 1024/);
    expect(() => idempotency({ store, name })).toThrow(IdempotencyError);
    expect(() => httpIdempotency({ store, name })).toThrow(IdempotencyError);
    // Counted in UTF-8 bytes, as DynamoDB counts keys: 400 three-byte characters are 1200 bytes.
    expect(() => makeIdempotent(async () => 1, { store, name: '€'.repeat(400) })).toThrow(/1200 bytes/);
    expect(() => makeIdempotent(async () => 1, { store, name: 'n'.repeat(1024) })).not.toThrow();
  });

  it('rejects a DynamoDBStore without a table name', () => {
    vi.stubEnv('IDEMPOTENCY_TABLE_NAME', '');
    try {
      expect(() => new DynamoDBStore({ client })).toThrow(/IDEMPOTENCY_TABLE_NAME/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('takes the table name from IDEMPOTENCY_TABLE_NAME', () => {
    vi.stubEnv('IDEMPOTENCY_TABLE_NAME', 'from-env');
    try {
      expect(new DynamoDBStore({ client }).tableName).toBe('from-env');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('creates a default client that caches its middleware, and keeps a client it is given as it is', () => {
    const own = new DynamoDBStore({ tableName: 't' });
    expect(own.client.config.cacheMiddleware).toBe(true);
    own.client.destroy();
    expect(new DynamoDBStore({ tableName: 't', client }).client).toBe(client);
    expect(client.config.cacheMiddleware).toBeUndefined();
  });
});
