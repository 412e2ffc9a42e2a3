import { randomBytes, randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { Context, DynamoDBRecord, KinesisStreamRecord, SQSRecord } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BatchEventInvalidError,
  IdempotencyError,
  makeIdempotentBatch,
  step,
  type BatchIdempotencyOptions,
  type BatchRecord,
  type IdempotencyStore,
} from '../../../lambda/index.js';
import { recordId } from '../../../lambda/core/engine.js';
import { ATTR } from '../../../lambda/core/table-schema.js';
import { createLocalTable, type LocalTable } from '../../support/local-table.js';
import { lambdaContext, recordingLogger } from '../../support/lambda-context.js';
import { FakeProvider, never } from '../steps/crashing-store.js';
import { batchOf, dynamodbRecord, kinesisRecord, redelivered, sqsRecord } from './events.js';

let table: LocalTable;
// A shared machine's DynamoDB Local can take seconds to answer its first requests.
const WAIT = { timeout: 15_000, interval: 20 };

beforeAll(async () => {
  table = await createLocalTable('batch');
});

afterEach(() => {
  vi.useRealTimers();
});

/** What a record is about, whatever its source: the SQS body, the Kinesis data, the stream item's id. */
function payloadOf(record: BatchRecord): string {
  if ('body' in record) return record.body;
  if ('kinesis' in record) return Buffer.from(record.kinesis.data, 'base64').toString();
  return (record as DynamoDBRecord).dynamodb?.Keys?.orderId?.S ?? '';
}

/**
 * A consumer whose record handler counts its runs per payload; a payload can be told to throw
 * (each time it runs, until cleared) or to park until released.
 */
function consumer(options: Partial<BatchIdempotencyOptions> & { store?: IdempotencyStore } = {}) {
  const runs = new Map<string, number>();
  const failing = new Set<string>();
  const parked = new Map<string, () => void>();
  const parking = new Set<string>();
  const logger = recordingLogger();
  const handler = makeIdempotentBatch(
    async (record: BatchRecord) => {
      const payload = payloadOf(record);
      runs.set(payload, (runs.get(payload) ?? 0) + 1);
      if (parking.delete(payload)) await new Promise<void>((resolve) => parked.set(payload, resolve));
      // Give concurrent invocations a chance to interleave.
      await new Promise((resolve) => setImmediate(resolve));
      if (failing.has(payload)) throw new Error(`injected failure for ${payload}`);
      return { handled: payload };
    },
    { store: table.store, name: `consumer-${randomUUID()}`, logger, ...options },
  );
  const call = (records: BatchRecord[], context: Context = lambdaContext()) => handler(batchOf(records), context);
  const ranTotal = () => [...runs.values()].reduce((sum, n) => sum + n, 0);
  return { handler, call, runs, failing, parked, parking, logger, ranTotal };
}

const ids = (response: { batchItemFailures: { itemIdentifier: string }[] }) =>
  response.batchItemFailures.map((failure) => failure.itemIdentifier);

const sqsBatch = (n: number, prefix = 'order') =>
  Array.from({ length: n }, (_, i) => sqsRecord(`${prefix}-${i + 1}-${randomUUID()}`));

describe('makeIdempotentBatch on standard SQS, against DynamoDB Local', () => {
  it('runs every record of a new batch once and reports no failures', async () => {
    const app = consumer();
    const records = sqsBatch(5);

    const response = await app.call(records);

    expect(response).toEqual({ batchItemFailures: [] });
    expect([...app.runs.values()]).toEqual([1, 1, 1, 1, 1]);
  });

  it('runs nothing twice when the whole batch is redelivered, with new receipt handles and receive counts', async () => {
    const app = consumer();
    const records = sqsBatch(5);
    await app.call(records);

    const response = await app.call(records.map(redelivered));

    expect(ids(response)).toEqual([]);
    expect(app.ranTotal()).toBe(5);
  });

  it('reports only the record that threw, and runs only that one again on redelivery', async () => {
    const app = consumer();
    const records = sqsBatch(5);
    app.failing.add(records[2].body);

    const first = await app.call(records);
    app.failing.clear();
    const second = await app.call(records.map(redelivered));

    expect(ids(first)).toEqual([records[2].messageId]);
    expect(ids(second)).toEqual([]);
    expect(records.map((r) => app.runs.get(r.body))).toEqual([1, 1, 2, 1, 1]);
    expect(app.logger.errors).toEqual(['retry-safe: a record handler failed; the record is reported for redelivery']);
  });

  it('answers no failures for an empty batch', async () => {
    const app = consumer();

    expect(await app.call([])).toEqual({ batchItemFailures: [] });
  });

  it.each([
    ['the default bound', undefined, 10],
    ['a configured bound', 3, 3],
  ])('runs the records of a standard batch concurrently, up to %s', async (_, concurrency, expected) => {
    let claims = 0;
    const counting: IdempotencyStore = {
      claim: (record, nowMs) => (claims++, table.store.claim(record, nowMs)),
      complete: (record, owner) => table.store.complete(record, owner),
      release: (id, owner) => table.store.release(id, owner),
    };
    let inFlight = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const handler = makeIdempotentBatch(
      async () => {
        inFlight++;
        await gate;
      },
      { store: counting, name: `concurrency-${randomUUID()}`, concurrency },
    );

    const response = handler(batchOf(sqsBatch(12)), lambdaContext());
    await vi.waitFor(() => expect(inFlight).toBe(expected), WAIT);
    // Every worker is held in a handler: a pool without a bound would have claimed all 12 by now.
    const claimedWhileHeld = claims;
    open();

    expect(ids(await response)).toEqual([]);
    expect(claimedWhileHeld).toBe(expected);
    expect(inFlight).toBe(12);
  });

  it('reports a record in progress in another invocation without running it, and runs the rest', async () => {
    const app = consumer();
    const records = sqsBatch(3);
    app.parking.add(records[0].body);
    const elsewhere = app.call([records[0]]);
    await vi.waitFor(() => expect(app.parked.has(records[0].body)).toBe(true), WAIT);

    const response = await app.call(records.map(redelivered));

    expect(ids(response)).toEqual([records[0].messageId]);
    expect(records.map((r) => app.runs.get(r.body))).toEqual([1, 1, 1]);
    expect(app.logger.warnings).toEqual(['retry-safe: a record is in progress in another invocation; reported, not run']);
    app.parked.get(records[0].body)?.();
    expect(ids(await elsewhere)).toEqual([]);
  });

  it('runs each record exactly once across 8 concurrent invocations of the same 5-record batch, then replays them all', async () => {
    const app = consumer();
    const records = sqsBatch(5);

    const responses = await Promise.all(Array.from({ length: 8 }, () => app.call(records.map(redelivered))));
    // Every record is handled by one invocation and reported (in progress) by any other that met it running.
    const reportedBy = responses.map(ids);
    const redelivery = await app.call(records.map(redelivered));

    expect(records.map((r) => app.runs.get(r.body))).toEqual([1, 1, 1, 1, 1]);
    for (const reported of reportedBy) {
      for (const id of reported) expect(records.map((r) => r.messageId)).toContain(id);
    }
    expect(ids(redelivery)).toEqual([]);
    expect(app.ranTotal()).toBe(5);
  });

  it('keeps the default key per queue: the same message id from two queues is two records', async () => {
    const app = consumer();
    const messageId = randomUUID();
    const one = sqsRecord('order-a', { messageId, queueArn: 'arn:aws:sqs:us-east-1:123456789012:one' });
    const two = sqsRecord('order-b', { messageId, queueArn: 'arn:aws:sqs:us-east-1:123456789012:two' });

    await app.call([one]);
    const response = await app.call([two]);

    expect(ids(response)).toEqual([]);
    expect(app.runs.get('order-b')).toBe(1);
  });

  it('runs a redriven message (a new message id) again by default, and not with a business key', async () => {
    const orderId = randomUUID();
    const body = JSON.stringify({ orderId, items: 2 });
    const byMessage = consumer();
    const byOrder = consumer({ key: (record) => (JSON.parse((record as SQSRecord).body) as { orderId: string }).orderId });

    for (const app of [byMessage, byOrder]) {
      await app.call([sqsRecord(body)]);
      await app.call([sqsRecord(body)]);
    }

    expect(byMessage.runs.get(body)).toBe(2);
    expect(byOrder.runs.get(body)).toBe(1);
  });
});

describe('makeIdempotentBatch outcomes', () => {
  it('reports each record\'s outcome once to onOutcome, as makeIdempotent does per call', async () => {
    const outcomes: string[] = [];
    const app = consumer({ onOutcome: (o) => void outcomes.push(o.outcome) });
    const records = sqsBatch(3);
    app.failing.add(records[1].body);

    await app.call(records);
    const first = [...outcomes].sort();
    outcomes.length = 0;
    app.failing.clear();
    await app.call(records.map(redelivered));

    expect(first).toEqual(['executed', 'executed', 'released']);
    expect(outcomes.sort()).toEqual(['executed', 'replayed', 'replayed']);
  });
});

describe('makeIdempotentBatch with a result too large to store', () => {
  it('counts a redelivered record done, not failed, when its completed result could not be kept', async () => {
    let runs = 0;
    const logger = recordingLogger();
    const handler = makeIdempotentBatch(
      // Random bytes do not compress: far over DynamoDB's 400 KB item limit.
      async () => (++runs, randomBytes(600_000).toString('base64')),
      { store: table.store, name: `large-${randomUUID()}`, logger },
    );
    const records = sqsBatch(1);
    await handler(batchOf(records), lambdaContext());

    const response = await handler(batchOf(records.map(redelivered)), lambdaContext());

    expect(ids(response)).toEqual([]);
    expect(runs).toBe(1);
  });
});

describe('makeIdempotentBatch on a FIFO queue', () => {
  it('reports the failed record and every later one, runs none of the later ones, and runs them on redelivery', async () => {
    const app = consumer();
    const records = ['a', 'b', 'a', 'c', 'b'].map((group, i) => sqsRecord(`fifo-${i}-${randomUUID()}`, { groupId: group }));
    app.failing.add(records[1].body);

    const first = await app.call(records);
    app.failing.clear();
    const second = await app.call(records.slice(1).map(redelivered));

    expect(ids(first)).toEqual(records.slice(1).map((r) => r.messageId));
    expect(records.map((r) => app.runs.get(r.body))).toEqual([1, 2, 1, 1, 1]);
    expect(ids(second)).toEqual([]);
  });

  it("holds back only the failed record's message group with fifoFailureScope: 'message-group'", async () => {
    const app = consumer({ fifoFailureScope: 'message-group' });
    const records = ['a', 'b', 'a', 'c', 'b'].map((group, i) => sqsRecord(`fifo-${i}-${randomUUID()}`, { groupId: group }));
    app.failing.add(records[1].body);

    const response = await app.call(records);

    // Group b: the failed record (1) and its later record (4); groups a and c ran to the end.
    expect(ids(response)).toEqual([records[1].messageId, records[4].messageId]);
    expect(records.map((r) => app.runs.get(r.body))).toEqual([1, 1, 1, 1, undefined]);
  });

  it('stops at a record in progress elsewhere, as at a failure', async () => {
    const app = consumer();
    const records = ['a', 'a', 'a'].map((group, i) => sqsRecord(`fifo-${i}-${randomUUID()}`, { groupId: group }));
    app.parking.add(records[1].body);
    const elsewhere = app.call([records[1]]);
    await vi.waitFor(() => expect(app.parked.has(records[1].body)).toBe(true), WAIT);

    const response = await app.call(records.map(redelivered));

    expect(ids(response)).toEqual([records[1].messageId, records[2].messageId]);
    expect(records.map((r) => app.runs.get(r.body))).toEqual([1, 1, undefined]);
    app.parked.get(records[1].body)?.();
    await elsewhere;
  });
});

describe('makeIdempotentBatch on streams', () => {
  it('Kinesis: reports only the first failure\'s sequence number, runs nothing after it, and resumes there', async () => {
    const app = consumer();
    const records = Array.from({ length: 5 }, (_, i) => kinesisRecord(`event-${i}-${randomUUID()}`));
    app.failing.add(payloadOf(records[2]));

    const first = await app.call(records);
    app.failing.clear();
    // Lambda resumes the shard at the reported sequence number.
    const resumed = await app.call(records.slice(2));

    expect(ids(first)).toEqual([records[2].kinesis.sequenceNumber]);
    expect(records.map((r) => app.runs.get(payloadOf(r)))).toEqual([1, 1, 2, 1, 1]);
    expect(ids(resumed)).toEqual([]);
  });

  it('Kinesis: a whole batch retried from its start runs nothing twice', async () => {
    const app = consumer();
    const records = Array.from({ length: 4 }, (_, i) => kinesisRecord(`event-${i}-${randomUUID()}`));
    await app.call(records);

    const retried = await app.call(records);

    expect(ids(retried)).toEqual([]);
    expect(app.ranTotal()).toBe(4);
  });

  it('DynamoDB Streams: stops at the first failure, reports its sequence number, and replays the rest on retry', async () => {
    const app = consumer();
    const records = Array.from({ length: 4 }, (_, i) => dynamodbRecord(`order-${i}-${randomUUID()}`, 10 * i));
    app.failing.add(payloadOf(records[1]));

    const first = await app.call(records);
    app.failing.clear();
    const retried = await app.call(records);

    expect(ids(first)).toEqual([records[1].dynamodb?.SequenceNumber]);
    expect(records.map((r) => app.runs.get(payloadOf(r)))).toEqual([1, 2, 1, 1]);
    expect(ids(retried)).toEqual([]);
  });
});

describe('makeIdempotentBatch with a payload mismatch', () => {
  const reused = () => {
    const messageId = randomUUID();
    return [sqsRecord(`first-${messageId}`, { messageId }), sqsRecord(`second-${messageId}`, { messageId })];
  };

  it('reports the record and runs nothing by default, so it reaches the dead-letter queue', async () => {
    const app = consumer();
    const [original, changed] = reused();
    await app.call([original]);

    const response = await app.call([changed]);

    expect(ids(response)).toEqual([changed.messageId]);
    expect(app.runs.get(changed.body)).toBeUndefined();
    expect(app.logger.warnings).toEqual(['retry-safe: a key was reused with a different payload; rejected']);
    expect(app.logger.errors).toEqual([]);
  });

  it("skips the record with an error log under onPayloadMismatch: 'skip'", async () => {
    const app = consumer({ onPayloadMismatch: 'skip' });
    const [original, changed] = reused();
    await app.call([original]);

    const response = await app.call([changed]);

    expect(ids(response)).toEqual([]);
    expect(app.runs.get(changed.body)).toBeUndefined();
    expect(app.logger.errors).toEqual([
      'retry-safe: a record reused a key with a different payload; skipped, not reported (onPayloadMismatch: skip)',
    ]);
  });
});

describe('step() inside a record handler', () => {
  // A short remaining time gives the shortest lease: 5 s floor + 3 s margin.
  const LEASE_LAPSED_MS = 9_000;

  it('re-runs only the crashed record\'s remaining steps on redelivery', async () => {
    const reserve = new FakeProvider();
    const ship = new FakeProvider();
    const runs = new Map<string, number>();
    let crashOn: string | undefined;
    const name = `steps-${randomUUID()}`;
    const handler = makeIdempotentBatch(
      async (record: SQSRecord) => {
        runs.set(record.body, (runs.get(record.body) ?? 0) + 1);
        const reservation = await step('reserve', (key) => reserve.perform(key, 'res'));
        if (record.body === crashOn) await never(); // the invocation dies here: no release, no completion
        return step('ship', (key) => ship.perform(key, `ship-${reservation}`));
      },
      { store: table.store, name },
    );
    const records = sqsBatch(3);
    const status = async (r: SQSRecord) => (await table.getItem(recordId(name, r.messageId, r.eventSourceARN)))?.[ATTR.status]?.S;
    crashOn = records[2].body;
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();

    void handler(batchOf(records), lambdaContext({ remainingMs: 1_000 }));
    // Records 1 and 2 completed, record 3 parked after its reservation.
    await vi.waitFor(async () => expect(await Promise.all(records.map(status))).toEqual(['C', 'C', 'P']), WAIT);
    await vi.waitFor(() => expect(reserve.calls).toHaveLength(3), WAIT);
    crashOn = undefined;
    vi.setSystemTime(start + LEASE_LAPSED_MS);
    const response = await handler(batchOf(records.map(redelivered)), lambdaContext({ remainingMs: 1_000 }));

    expect(ids(response)).toEqual([]);
    // Records 1 and 2 were replayed; record 3 ran again, its reservation replayed, its shipping done once.
    expect(records.map((r) => runs.get(r.body))).toEqual([1, 1, 2]);
    expect(reserve.calls).toHaveLength(3);
    expect(reserve.effects).toBe(3);
    expect(ship.effects).toBe(3);
    // Each record's steps have keys of their own.
    expect(new Set(ship.calls).size).toBe(3);
  });
});

describe('makeIdempotentBatch as a Middy handler', () => {
  it('runs behind other middlewares and answers the partial batch response', async () => {
    const app = consumer();
    const seen: number[] = [];
    const handler = middy(app.handler).use({
      before: (request) => void seen.push((request.event as { Records: unknown[] }).Records.length),
    });
    const records = sqsBatch(3);
    app.failing.add(records[0].body);

    const response = await handler(batchOf(records), lambdaContext());

    expect(seen).toEqual([3]);
    expect(ids(response)).toEqual([records[0].messageId]);
  });
});

describe('makeIdempotentBatch input checks', () => {
  /** A store that fails the test if anything reaches it. */
  const untouchable: IdempotencyStore = {
    claim: () => Promise.reject(new Error('the store was called')),
    complete: () => Promise.reject(new Error('the store was called')),
    release: () => Promise.reject(new Error('the store was called')),
  };

  it.each([
    ['no event', undefined],
    ['an event without Records', { detail: {} }],
    ['Records that are not a list', { Records: 'x' }],
    ['an SNS event', { Records: [{ EventSource: 'aws:sns', Sns: { MessageId: 'm' } }] }],
    ['an S3 notification', { Records: [{ eventSource: 'aws:s3', s3: {} }] }],
    ['sources mixed in one batch', { Records: [sqsRecord('a'), kinesisRecord('b')] }],
    ['an SQS record without a messageId', { Records: [{ ...sqsRecord('a'), messageId: undefined }] }],
    ['a null record', { Records: [sqsRecord('a'), null] }],
    ['a Kinesis record without a sequence number', { Records: [{ ...kinesisRecord('a'), kinesis: { data: 'YQ==' } }] }],
    ['a DynamoDB record without its change', { Records: [{ ...dynamodbRecord('o', 1), dynamodb: undefined }] }],
  ])('rejects %s with BatchEventInvalidError before any store call', async (_, event) => {
    const recordHandler = vi.fn();
    const handler = makeIdempotentBatch(recordHandler, { store: untouchable, name: 'checks' });

    await expect(handler(event as never, lambdaContext())).rejects.toThrow(BatchEventInvalidError);
    expect(recordHandler).not.toHaveBeenCalled();
  });

  it('names the field and the fix, never the payload', async () => {
    const handler = makeIdempotentBatch(vi.fn(), { store: untouchable, name: 'checks' });
    const event = { Records: [{ ...sqsRecord('secret-card-number'), messageId: 42 }] };

    const error = (await handler(event as never, lambdaContext()).catch((e: unknown) => e)) as Error;

    expect(error.message).toBe(
      'not a queue or stream batch: Records[0].messageId is a number; a aws:sqs record needs it as a non-empty string',
    );
  });

  it.each([
    ['concurrency 0', { concurrency: 0 }, /options.concurrency must be a positive integer, got 0/],
    ['a fractional concurrency', { concurrency: 2.5 }, /options.concurrency/],
    ['an unknown fifoFailureScope', { fifoFailureScope: 'group' }, /options.fifoFailureScope must be 'batch' or 'message-group'/],
    ['an unknown onPayloadMismatch', { onPayloadMismatch: 'ignore' }, /options.onPayloadMismatch must be 'fail' or 'skip'/],
    ['no store', { store: undefined }, /options.store is required/],
  ])('rejects %s when wrapping', (_, options, message) => {
    expect(() => makeIdempotentBatch(vi.fn(), { store: table.store, ...(options as object) })).toThrow(message);
    expect(() => makeIdempotentBatch(vi.fn(), { store: table.store, ...(options as object) })).toThrow(IdempotencyError);
  });

  it('reports a record whose key function throws, and runs the others', async () => {
    const app = consumer({
      key: (record) => {
        const { orderId } = JSON.parse((record as SQSRecord).body) as { orderId?: string };
        return orderId;
      },
    });
    const good = sqsRecord(JSON.stringify({ orderId: randomUUID() }));
    const poison = sqsRecord('not json');

    const response = await app.call([poison, good]);

    expect(ids(response)).toEqual([poison.messageId]);
    expect(app.runs.get(good.body)).toBe(1);
    expect(app.runs.get(poison.body)).toBeUndefined();
  });

  it('logs why a key could not be read without quoting the body, which a parser error would', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => void written.push(line));
    try {
      const handler = makeIdempotentBatch(vi.fn(), {
        store: table.store,
        name: `consumer-${randomUUID()}`,
        key: (record) => (JSON.parse((record as SQSRecord).body) as { orderId: string }).orderId,
      });
      const poison = sqsRecord('card 4242 4242 4242 4242, not json');

      const response = await handler(batchOf([poison]), lambdaContext());

      expect(ids(response)).toEqual([poison.messageId]);
      // JSON.parse's own message quotes the body: the log must not carry it.
      expect(() => JSON.parse(poison.body)).toThrow(/card 4242/);
      expect(written).toHaveLength(1);
      expect(written[0]).toContain('IdempotencyKeyInvalidError');
      expect(written[0]).not.toContain('4242');
    } finally {
      spy.mockRestore();
    }
  });
});

describe('makeIdempotentBatch without a key under required: false', () => {
  it('runs a record without a key as it is, every time, and reports it if it throws', async () => {
    const app = consumer({ required: false, key: () => undefined });
    const records = sqsBatch(2);
    app.failing.add(records[1].body);

    const first = await app.call(records);
    const second = await app.call(records.map(redelivered));

    expect(ids(first)).toEqual([records[1].messageId]);
    expect(ids(second)).toEqual([records[1].messageId]);
    expect(records.map((r) => app.runs.get(r.body))).toEqual([2, 2]);
  });
});

describe('types', () => {
  it('accepts a handler typed for one source', () => {
    const sqs = makeIdempotentBatch(async (record: SQSRecord) => record.body, { store: table.store, name: 'types' });
    const kinesis = makeIdempotentBatch(async (record: KinesisStreamRecord) => record.kinesis.data, {
      store: table.store,
      name: 'types',
      key: (record) => record.kinesis.partitionKey,
    });
    expect(typeof sqs).toBe('function');
    expect(typeof kinesis).toBe('function');
  });
});
