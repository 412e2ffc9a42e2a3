import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ProvisionedThroughputExceededException,
  UpdateItemCommand,
  DeleteItemCommand,
  type AttributeValue,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DynamoDBStore,
  IdempotencyStoreError,
  StepInterruptedError,
  makeIdempotent,
  RecordCache,
  step,
  type IdempotencyOptions,
} from '../../../lambda/index.js';
import { recordId } from '../../../lambda/core/engine.js';
import { hashCanonical } from '../../../lambda/core/hash.js';
import { stepKey, stepRecordId } from '../../../lambda/steps/step.js';
import { lambdaContext, recordingLogger } from '../../support/lambda-context.js';

const ddb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'us-east-1' });
const store = new DynamoDBStore({ tableName: 'idempotency', client });
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const NOW_S = NOW / 1000;
const TTL = 3_600;
// Two retentions plus the longest lease (15 min + 3 s).
const STEP_EXPIRY = NOW_S + 2 * TTL + 903;

const event = { orderId: 'order-1', amountCents: 500 };
const parentId = recordId('orders', 'order-1');
const chargeId = stepRecordId(parentId, 'charge');
const fingerprint = hashCanonical(event);

function conditionFailed(item?: Record<string, AttributeValue>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: item });
}

function throttled(): ProvisionedThroughputExceededException {
  return new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
}

function completedStep(result: unknown, extra: Record<string, AttributeValue> = {}): Record<string, AttributeValue> {
  return {
    id: { S: chargeId },
    s: { S: 'C' },
    f: { S: fingerprint },
    expiration: { N: String(STEP_EXPIRY) },
    r: { S: JSON.stringify(result) },
    ...extra,
  };
}

const isStep = (input: { Item?: Record<string, AttributeValue>; Key?: Record<string, AttributeValue> }) =>
  (input.Item?.id?.S ?? input.Key?.id?.S ?? '').includes('#step#');

/** Names the requests a run sent, in order, telling parent and step records apart. */
function requestLog(): string[] {
  return ddb.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: Parameters<typeof isStep>[0] };
    return `${command.constructor.name.replace('Command', '')}${isStep(command.input) ? ' step' : ''}`;
  });
}

function chargeHandler(
  charge: (key: string) => Promise<unknown> | unknown,
  options: { atMostOnce?: boolean } & Partial<IdempotencyOptions<typeof event>> = {},
) {
  const { atMostOnce, ...rest } = options;
  return makeIdempotent(async () => step('charge', charge, { atMostOnce }), {
    store,
    name: 'orders',
    key: (e) => e.orderId,
    ttlSeconds: TTL,
    logger: recordingLogger(),
    ...rest,
  });
}

beforeEach(() => {
  ddb.reset();
  ddb.on(PutItemCommand).resolves({});
  ddb.on(UpdateItemCommand).resolves({});
  ddb.on(DeleteItemCommand).resolves({});
  ddb.on(GetItemCommand).resolves({});
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('at-least-once steps (default)', () => {
  it('costs a new step one consistent read and one conditional write', async () => {
    const charge = vi.fn(async () => ({ chargeId: 'ch_1' }));

    await chargeHandler(charge)(event, lambdaContext());

    expect(requestLog()).toEqual(['PutItem', 'GetItem step', 'PutItem step', 'PutItem']);
    expect(ddb.commandCalls(GetItemCommand)[0].args[0].input).toEqual({
      TableName: 'idempotency',
      Key: { id: { S: chargeId } },
      ConsistentRead: true,
    });
    expect(ddb.commandCalls(PutItemCommand)[1].args[0].input).toEqual({
      TableName: 'idempotency',
      Item: {
        id: { S: chargeId },
        s: { S: 'C' },
        f: { S: fingerprint },
        expiration: { N: String(STEP_EXPIRY) },
        r: { S: '{"chargeId":"ch_1"}' },
      },
      ConditionExpression: 'attribute_not_exists(id) OR #e < :nowS OR (s = :p AND f = :f)',
      ExpressionAttributeNames: { '#e': 'expiration' },
      ExpressionAttributeValues: { ':nowS': { N: String(NOW_S) }, ':p': { S: 'P' }, ':f': { S: fingerprint } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(charge).toHaveBeenCalledWith(stepKey(parentId, 'charge'));
  });

  it('replays a completed step with one read and no write, without running its function', async () => {
    ddb.on(GetItemCommand).resolves({ Item: completedStep({ chargeId: 'ch_1' }) });
    const charge = vi.fn();

    const result = await chargeHandler(charge)(event, lambdaContext());

    expect(result).toEqual({ chargeId: 'ch_1' });
    expect(requestLog()).toEqual(['PutItem', 'GetItem step', 'PutItem']);
    expect(charge).not.toHaveBeenCalled();
  });

  it('replays a completed step from the cache with no request when caching is on', async () => {
    let fail = true;
    const charge = vi.fn(async () => 'ch_1');
    const handler = makeIdempotent(
      async () => {
        const charged = await step('charge', charge);
        if (fail) throw new Error('email failed');
        return charged;
      },
      { store, name: 'orders', key: (e: typeof event) => e.orderId, ttlSeconds: TTL, cache: new RecordCache({ maxEntries: 10 }) },
    );
    await expect(handler(event, lambdaContext())).rejects.toThrow('email failed');
    ddb.resetHistory();
    fail = false;

    expect(await handler(event, lambdaContext())).toBe('ch_1');

    expect(requestLog()).toEqual(['PutItem', 'PutItem']);
    expect(charge).toHaveBeenCalledTimes(1);
  });

  it('fails closed with IdempotencyStoreError, without running the function, when the step read is throttled', async () => {
    ddb.on(GetItemCommand).rejects(throttled());
    const charge = vi.fn();

    const failure = await chargeHandler(charge)(event, lambdaContext()).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(IdempotencyStoreError);
    expect((failure as Error).cause).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(charge).not.toHaveBeenCalled();
    // The parent claim was released, so a retry runs again.
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(1);
  });

  it('retries a throttled step record with backoff and records it', async () => {
    ddb
      .on(PutItemCommand, { Item: { id: { S: chargeId } } }, false)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({});
    const charge = vi.fn(async () => 'ch_1');

    expect(await chargeHandler(charge)(event, lambdaContext())).toBe('ch_1');

    expect(requestLog()).toEqual(['PutItem', 'GetItem step', 'PutItem step', 'PutItem step', 'PutItem step', 'PutItem']);
    expect(charge).toHaveBeenCalledTimes(1);
  });

  it('returns the result and logs when the step record cannot be written at all', async () => {
    ddb.on(PutItemCommand, { Item: { id: { S: chargeId } } }, false).rejects(throttled());
    const logger = recordingLogger();
    const charge = vi.fn(async () => 'ch_1');

    expect(await chargeHandler(charge, { logger })(event, lambdaContext())).toBe('ch_1');

    expect(ddb.commandCalls(PutItemCommand).filter((c) => isStep(c.args[0].input))).toHaveLength(4);
    expect(logger.errors).toEqual(['retry-safe: could not record a step outcome']);
    expect(charge).toHaveBeenCalledTimes(1);
  });

  it('returns the result recorded first when another execution recorded the step meanwhile', async () => {
    ddb
      .on(PutItemCommand, { Item: { id: { S: chargeId } } }, false)
      .rejects(conditionFailed(completedStep({ chargeId: 'ch_from_the_other_execution' })));

    const result = await chargeHandler(async () => ({ chargeId: 'ch_mine' }))(event, lambdaContext());

    expect(result).toEqual({ chargeId: 'ch_from_the_other_execution' });
  });

  it('leaves a step whose result cannot be stored unrecorded and logs it, so a retry runs it again', async () => {
    const logger = recordingLogger();
    // Neither JSON (the BigInt) nor a structured clone (the function) can hold it.
    const unstorable = { amount: 10n, refund: () => 'no' };

    const result = await chargeHandler(async () => unstorable, { logger })(event, lambdaContext()).catch((e: unknown) => e);

    // The parent's own result is unstorable too; the step wrote nothing.
    expect(result).toBe(unstorable);
    expect(ddb.commandCalls(PutItemCommand).filter((c) => isStep(c.args[0].input))).toHaveLength(0);
    expect(logger.warnings).toContain('retry-safe: step result not stored; a retry of the parent runs the step again');
  });

  it('extends a replayed record with less than a retention and a lease left, conditionally', async () => {
    ddb.on(GetItemCommand).resolves({ Item: completedStep('ch_1', { expiration: { N: String(NOW_S + 60) } }) });

    await chargeHandler(vi.fn())(event, lambdaContext());

    const extend = ddb.commandCalls(UpdateItemCommand).find((c) => isStep(c.args[0].input));
    expect(extend?.args[0].input).toEqual({
      TableName: 'idempotency',
      Key: { id: { S: chargeId } },
      UpdateExpression: 'SET #e = :exp',
      ConditionExpression: 'attribute_exists(id) AND #e < :exp',
      ExpressionAttributeNames: { '#e': 'expiration' },
      ExpressionAttributeValues: { ':exp': { N: String(STEP_EXPIRY) } },
    });
  });
});

describe('at-most-once steps', () => {
  it('records the start with one conditional write and the outcome with one conditional update', async () => {
    let owner = '';
    ddb.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
      if (!isStep(input)) owner = input.Item?.o?.S ?? '';
      return {};
    });

    await chargeHandler(async () => 'ch_1', { atMostOnce: true })(event, lambdaContext());

    expect(requestLog()).toEqual(['PutItem', 'PutItem step', 'UpdateItem step', 'PutItem']);
    expect(ddb.commandCalls(PutItemCommand)[1].args[0].input).toEqual({
      TableName: 'idempotency',
      Item: {
        id: { S: chargeId },
        s: { S: 'P' },
        f: { S: fingerprint },
        o: { S: owner },
        expiration: { N: String(STEP_EXPIRY) },
      },
      ConditionExpression: 'attribute_not_exists(id) OR #e < :nowS',
      ExpressionAttributeNames: { '#e': 'expiration' },
      ExpressionAttributeValues: { ':nowS': { N: String(NOW_S) } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(ddb.commandCalls(UpdateItemCommand)[0].args[0].input).toEqual({
      TableName: 'idempotency',
      Key: { id: { S: chargeId } },
      UpdateExpression: 'SET s = :c, #e = :exp, r = :r',
      ConditionExpression: 'o = :o AND s = :p',
      ExpressionAttributeNames: { '#e': 'expiration' },
      ExpressionAttributeValues: {
        ':c': { S: 'C' },
        ':exp': { N: String(STEP_EXPIRY) },
        ':o': { S: owner },
        ':p': { S: 'P' },
        ':r': { S: '"ch_1"' },
      },
    });
  });

  it('replays a completed step from its failed start write: one request', async () => {
    ddb.on(PutItemCommand, { Item: { id: { S: chargeId } } }, false).rejects(conditionFailed(completedStep('ch_1')));
    const charge = vi.fn();

    expect(await chargeHandler(charge, { atMostOnce: true })(event, lambdaContext())).toBe('ch_1');

    expect(requestLog()).toEqual(['PutItem', 'PutItem step', 'PutItem']);
    expect(charge).not.toHaveBeenCalled();
  });

  it('rejects a step started by another execution with StepInterruptedError, without running it', async () => {
    const started = { id: { S: chargeId }, s: { S: 'P' }, f: { S: fingerprint }, o: { S: 'someone-else' }, expiration: { N: String(STEP_EXPIRY) } };
    ddb.on(PutItemCommand, { Item: { id: { S: chargeId } } }, false).rejects(conditionFailed(started));
    const charge = vi.fn();

    await expect(chargeHandler(charge, { atMostOnce: true })(event, lambdaContext())).rejects.toBeInstanceOf(
      StepInterruptedError,
    );
    expect(charge).not.toHaveBeenCalled();
  });

  it('runs the function when the start failed on its own earlier write, retried by the SDK after a lost response', async () => {
    let owner = '';
    ddb.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
      if (!isStep(input)) {
        owner = input.Item?.o?.S ?? '';
        return {};
      }
      throw conditionFailed({ ...input.Item, o: { S: owner } });
    });
    const charge = vi.fn(async () => 'ch_1');

    expect(await chargeHandler(charge, { atMostOnce: true })(event, lambdaContext())).toBe('ch_1');
    expect(charge).toHaveBeenCalledTimes(1);
  });

  it('marks a step with a result that cannot be stored done, so a retry never runs it again', async () => {
    const logger = recordingLogger();

    await chargeHandler(async () => ({ amount: 10n, refund: () => 'no' }), { atMostOnce: true, logger })(event, lambdaContext());

    const finish = ddb.commandCalls(UpdateItemCommand).find((c) => isStep(c.args[0].input));
    expect(finish?.args[0].input.ExpressionAttributeValues?.[':u']).toEqual({ S: 'unserializable' });
    expect(finish?.args[0].input.UpdateExpression).toBe('SET s = :c, #e = :exp, u = :u');
  });

  it('fails closed with IdempotencyStoreError, without running the function, when the start is throttled', async () => {
    ddb.on(PutItemCommand, { Item: { id: { S: chargeId } } }, false).rejects(throttled());
    const charge = vi.fn();

    await expect(chargeHandler(charge, { atMostOnce: true })(event, lambdaContext())).rejects.toBeInstanceOf(
      IdempotencyStoreError,
    );
    expect(charge).not.toHaveBeenCalled();
  });
});
