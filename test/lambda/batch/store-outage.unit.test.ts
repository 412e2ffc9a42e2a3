import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoDBStore, makeIdempotentBatch, type BatchRecord } from '../../../lambda/index.js';
import { lambdaContext, recordingLogger } from '../../support/lambda-context.js';
import { completionCalls } from '../../support/completion-calls.js';
import { batchOf, kinesisRecord, sqsRecord } from './events.js';

const ddb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'us-east-1', maxAttempts: 1 });

afterEach(() => ddb.reset());

function consumer() {
  const logger = recordingLogger();
  const recordHandler = vi.fn(async (record: BatchRecord) => record.eventSource);
  const handler = makeIdempotentBatch(recordHandler, {
    store: new DynamoDBStore({ tableName: 'idempotency', client }),
    name: 'consumer',
    logger,
  });
  return { handler, recordHandler, logger };
}

const throttled = () =>
  new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} });

describe('makeIdempotentBatch when the store is down', () => {
  it('reports every record of a standard SQS batch and runs none', async () => {
    ddb.on(PutItemCommand).rejects(throttled());
    const { handler, recordHandler, logger } = consumer();
    const records = Array.from({ length: 5 }, (_, i) => sqsRecord(`order-${i}`));

    const response = await handler(batchOf(records), lambdaContext());

    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(records.map((r) => r.messageId));
    expect(recordHandler).not.toHaveBeenCalled();
    // The engine logs each failed claim, by record id; the batch adds nothing to it.
    expect(logger.errors).toEqual(Array(5).fill('retry-safe: the idempotency store failed before the handler ran, which did not run'));
    expect(completionCalls(ddb)).toHaveLength(0);
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('reports the first record of a stream batch, where Lambda resumes, and tries no later one', async () => {
    ddb.on(PutItemCommand).rejects(throttled());
    const { handler, recordHandler } = consumer();
    const records = Array.from({ length: 3 }, (_, i) => kinesisRecord(`event-${i}`));

    const response = await handler(batchOf(records), lambdaContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0].kinesis.sequenceNumber }]);
    expect(recordHandler).not.toHaveBeenCalled();
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(1);
  });
});
