import { randomUUID } from 'node:crypto';
import type { DynamoDBRecord, KinesisStreamRecord, SQSRecord } from 'aws-lambda';

export const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:orders';
export const FIFO_QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:orders.fifo';
export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders';
export const TABLE_STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000';

/** An SQS record as Lambda delivers it; `receiveCount` changes on redelivery, as does the receipt handle. */
export function sqsRecord(
  body: string,
  options: { messageId?: string; queueArn?: string; groupId?: string; receiveCount?: number } = {},
): SQSRecord {
  const receiveCount = options.receiveCount ?? 1;
  return {
    messageId: options.messageId ?? randomUUID(),
    receiptHandle: `handle-${randomUUID()}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1767225600000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(1767225600000 + receiveCount * 1000),
      ...(options.groupId ? { MessageGroupId: options.groupId, MessageDeduplicationId: randomUUID() } : {}),
    },
    messageAttributes: {},
    md5OfBody: 'not-checked',
    eventSource: 'aws:sqs',
    eventSourceARN: options.queueArn ?? (options.groupId ? FIFO_QUEUE_ARN : QUEUE_ARN),
    awsRegion: 'us-east-1',
  };
}

/** The same message delivered again: a new receipt handle and a higher receive count, the same id and body. */
export function redelivered(record: SQSRecord): SQSRecord {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount) + 1;
  const { messageId, eventSourceARN: queueArn, attributes } = record;
  return sqsRecord(record.body, { messageId, queueArn, groupId: attributes.MessageGroupId, receiveCount });
}

let sequence = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

/** A Kinesis record with `data` as its payload (base64 of the given text). */
export function kinesisRecord(data: string): KinesisStreamRecord {
  const sequenceNumber = String((sequence += 1n));
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'orders',
      sequenceNumber,
      data: Buffer.from(data).toString('base64'),
      approximateArrivalTimestamp: 1767225600.5,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/consumer',
    awsRegion: 'us-east-1',
    eventSourceARN: STREAM_ARN,
  };
}

/** A DynamoDB Streams INSERT of an order item. */
export function dynamodbRecord(orderId: string, total: number): DynamoDBRecord {
  const SequenceNumber = String((sequence += 1n));
  return {
    eventID: randomUUID().replaceAll('-', ''),
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: 1767225600,
      Keys: { orderId: { S: orderId } },
      NewImage: { orderId: { S: orderId }, total: { N: String(total) } },
      SequenceNumber,
      SizeBytes: 64,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: TABLE_STREAM_ARN,
  };
}

/** The event Lambda sends for these records. */
export function batchOf<T>(records: T[]): { Records: T[] } {
  return { Records: records };
}
