import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent as powertoolsMakeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { DynamoDBStore, makeIdempotentBatch } from '../lambda/index.js';
import { createIdempotencyTable, localClient } from '../scripts/dynamodb-local.js';
import { benchContext, LIBRARIES, OPERATION, paymentEvent, type Library } from './contenders.js';
import { countRequests } from './request-counter.js';
import { summarize, type Summary } from './stats.js';

/** What one library's batch consumer measured against DynamoDB Local. */
export interface BatchFigures {
  /** DynamoDB requests per record of a batch of new records. */
  readonly requestsPerNewRecord: number;
  /** DynamoDB requests per record of a batch whose records all completed before. */
  readonly requestsPerReplayedRecord: number;
  /** Wall time of a batch of one new record, ms. */
  readonly oneNew: Summary;
  /** Wall time of a batch of {@link BATCH_SIZE} new records, ms. */
  readonly batchNew: Summary;
  /** Wall time of the same batch delivered again (every record replayed), ms. */
  readonly batchReplayed: Summary;
}

/** SQS's default batch size. */
export const BATCH_SIZE = 10;
/** What each record's work waits for: a downstream call, as a real consumer makes one. */
export const RECORD_WORK_MS = 50;

type BatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

async function work(): Promise<{ done: true }> {
  await sleep(RECORD_WORK_MS);
  return { done: true };
}

/** retry-safe: `makeIdempotentBatch` with its defaults (key `messageId`, fingerprint `body`). */
function retrySafeConsumer(client: DynamoDBClient, tableName: string): BatchHandler {
  return makeIdempotentBatch(work, { store: new DynamoDBStore({ tableName, client }), name: OPERATION });
}

/**
 * Powertools, wired as its documentation shows: `BatchProcessor` with `processPartialResponse`,
 * and each record handler wrapped in `makeIdempotent`, keyed by `messageId`, the payload
 * validated over `body`. Records run in parallel (its default).
 */
function powertoolsConsumer(client: DynamoDBClient, tableName: string): BatchHandler {
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client });
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'messageId', payloadValidationJmesPath: 'body' });
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = powertoolsMakeIdempotent(async (_record: SQSRecord) => work(), {
    persistenceStore,
    config,
    keyPrefix: OPERATION,
  });
  return async (event, context) => {
    config.registerLambdaContext(context);
    return processPartialResponse(event, recordHandler, processor, { context });
  };
}

function sqsRecord(): SQSRecord {
  const messageId = randomUUID();
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body: JSON.stringify(paymentEvent(messageId)),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1767225600000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1767225600000',
    },
    messageAttributes: {},
    md5OfBody: 'not-checked',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:payments',
    awsRegion: 'us-east-1',
  };
}

const batch = (size: number): SQSEvent => ({ Records: Array.from({ length: size }, sqsRecord) });

async function ms(call: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await call();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Both libraries' batch consumers, calls interleaved, each on its own table and client. */
export async function measureBatches(endpoint: string, runs: number, warmupRuns: number): Promise<Record<Library, BatchFigures>> {
  const stamp = Date.now();
  const out = {} as Record<Library, BatchFigures>;
  const setups = await Promise.all(
    LIBRARIES.map(async (library) => {
      const client = localClient(endpoint);
      const tableName = `bench-batch-${library}-${stamp}`;
      await createIdempotencyTable(client, tableName);
      const counter = countRequests(client);
      const handler = library === 'retry-safe' ? retrySafeConsumer(client, tableName) : powertoolsConsumer(client, tableName);
      return { library, client, counter, handler };
    }),
  );
  const samples = new Map(setups.map((s) => [s.library, { one: [] as number[], many: [] as number[], replayed: [] as number[] }]));
  const requests = new Map(setups.map((s) => [s.library, { fresh: 0, replayed: 0, records: 0 }]));
  for (let i = 0; i < warmupRuns + runs; i++) {
    const record = i >= warmupRuns;
    const order = i % 2 === 0 ? setups : [...setups].reverse();
    for (const { library, counter, handler } of order) {
      const one = batch(1);
      const many = batch(BATCH_SIZE);
      const oneMs = await ms(() => handler(one, benchContext()));
      counter.reset();
      const manyMs = await ms(() => handler(many, benchContext()));
      const fresh = counter.count.requests;
      counter.reset();
      const replayedMs = await ms(() => handler(many, benchContext()));
      const replayed = counter.count.requests;
      if (!record) continue;
      const s = samples.get(library)!;
      s.one.push(oneMs);
      s.many.push(manyMs);
      s.replayed.push(replayedMs);
      const r = requests.get(library)!;
      r.fresh += fresh;
      r.replayed += replayed;
      r.records += BATCH_SIZE;
    }
  }
  for (const { library, client } of setups) {
    client.destroy();
    const s = samples.get(library)!;
    const r = requests.get(library)!;
    out[library] = {
      requestsPerNewRecord: r.fresh / r.records,
      requestsPerReplayedRecord: r.replayed / r.records,
      oneNew: summarize(s.one),
      batchNew: summarize(s.many),
      batchReplayed: summarize(s.replayed),
    };
  }
  return out;
}
