import { CreateTableCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { DynamoDBStore, makeIdempotentBatch } from '../lambda/index.js';
import { createIdempotencyTable, localClient } from './dynamodb-local.js';
import { localContext, type QueueOutcome } from './queue-demo-story.js';

const ORDERS = ['o-1', 'o-2', 'o-3', 'o-4'];
// Fails the first time it is handled, as a downstream outage would.
const FLAKY = 'o-3';

/**
 * A DynamoDB Streams consumer on DynamoDB Local's own stream: a failing record stops the batch
 * and is reported by its sequence number, Lambda resumes there, and a batch retried from its
 * start (an answer lost to a timeout) runs nothing twice.
 */
export async function playStreamStories(dynamoDBEndpoint: string, log: (line: string) => void = () => undefined): Promise<QueueOutcome[]> {
  const dynamodb = localClient(dynamoDBEndpoint);
  const streams = new DynamoDBStreamsClient({
    endpoint: dynamoDBEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const stamp = Date.now();
    const idempotencyTable = `stream-demo-idempotency-${stamp}`;
    await createIdempotencyTable(dynamodb, idempotencyTable);
    const streamArn = await createOrdersTableWithStream(dynamodb, `stream-demo-orders-${stamp}`, ORDERS);
    log(`wrote ${ORDERS.length} orders; their stream records are the consumer's input`);

    const handled = new Map<string, number>();
    let flakyFailed = false;
    const handler = makeIdempotentBatch(
      async (record: DynamoDBRecord) => {
        const orderId = record.dynamodb?.Keys?.orderId?.S ?? '';
        if (orderId === FLAKY && !flakyFailed) {
          flakyFailed = true;
          throw new Error(`the warehouse was down for ${orderId}`);
        }
        handled.set(orderId, (handled.get(orderId) ?? 0) + 1);
      },
      { store: new DynamoDBStore({ tableName: idempotencyTable, client: dynamodb }), name: 'order-events', logger: { warn: () => undefined, error: () => undefined } },
    );
    const shardId = await firstShard(streams, streamArn);
    const read = async (start: { type: 'TRIM_HORIZON' } | { type: 'AT_SEQUENCE_NUMBER'; sequenceNumber: string }) => {
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ShardIteratorType: start.type,
          ...(start.type === 'AT_SEQUENCE_NUMBER' ? { SequenceNumber: start.sequenceNumber } : {}),
        }),
      );
      const { Records } = await streams.send(new GetRecordsCommand({ ShardIterator }));
      return (Records ?? []).map((record) => toLambdaRecord(record, streamArn));
    };

    const batch1 = await read({ type: 'TRIM_HORIZON' });
    const answer1 = await handler({ Records: batch1 }, localContext('order-events', 10_000));
    const reported = answer1.batchItemFailures.map((f) => f.itemIdentifier);
    const flakySequence = batch1.find((r) => r.dynamodb?.Keys?.orderId?.S === FLAKY)?.dynamodb?.SequenceNumber;
    log(`batch 1: ${batch1.length} records; reported sequence number ${reported.join(', ') || 'none'}`);
    const handledAfterBatch1 = ORDERS.map((o) => handled.get(o) ?? 0).join(' ');

    // Lambda resumes the shard at the reported sequence number.
    const batch2 = await read({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: reported[0] ?? '' });
    const answer2 = await handler({ Records: batch2 }, localContext('order-events', 10_000));
    log(`batch 2 (resumed there): ${batch2.length} records; reported ${answer2.batchItemFailures.length}`);

    // An answer lost to a timeout: Lambda retries from the last checkpoint, here the start.
    const batch3 = await read({ type: 'TRIM_HORIZON' });
    const answer3 = await handler({ Records: batch3 }, localContext('order-events', 10_000));
    log(`batch 3 (retried from the start): ${batch3.length} records; reported ${answer3.batchItemFailures.length}`);

    const outcome = (story: string, expected: string, actual: string): QueueOutcome => ({ story, expected, actual, ok: expected === actual });
    return [
      outcome('stream: the failing record is reported by its sequence number', flakySequence ?? '(none)', reported.join(', ')),
      outcome('stream: nothing after the failure ran in that batch', '1 1 0 0', handledAfterBatch1),
      outcome('stream: the resumed batch runs the rest', `${ORDERS.length - 2} records, 0 reported`, `${batch2.length} records, ${answer2.batchItemFailures.length} reported`),
      outcome('stream: a batch retried from its start runs nothing twice', ORDERS.map(() => 1).join(' '), ORDERS.map((o) => handled.get(o) ?? 0).join(' ')),
    ];
  } finally {
    streams.destroy();
    dynamodb.destroy();
  }
}

async function createOrdersTableWithStream(client: DynamoDBClient, tableName: string, orders: readonly string[]): Promise<string> {
  const created = await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'orderId', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  for (const orderId of orders) {
    await client.send(new PutItemCommand({ TableName: tableName, Item: { orderId: { S: orderId }, status: { S: 'placed' } } }));
  }
  const arn = created.TableDescription?.LatestStreamArn;
  if (!arn) throw new Error(`DynamoDB Local created ${tableName} without a stream`);
  return arn;
}

async function firstShard(streams: DynamoDBStreamsClient, streamArn: string): Promise<string> {
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const shardId = StreamDescription?.Shards?.[0]?.ShardId;
  if (!shardId) throw new Error(`the stream ${streamArn} has no shard`);
  return shardId;
}

/** A stream record as Lambda hands it to a function: the SDK's record, with the stream's ARN and epoch seconds. */
function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const change = record.dynamodb;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: change?.ApproximateCreationDateTime ? change.ApproximateCreationDateTime.getTime() / 1000 : undefined,
      Keys: change?.Keys as Record<string, AttributeValue> | undefined,
      NewImage: change?.NewImage as Record<string, AttributeValue> | undefined,
      OldImage: change?.OldImage as Record<string, AttributeValue> | undefined,
      SequenceNumber: change?.SequenceNumber,
      SizeBytes: change?.SizeBytes,
      StreamViewType: change?.StreamViewType,
    },
  };
}
