import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** A queue as the poller needs it: where to receive from, and the ARN Lambda would put on each record. */
export interface PolledQueue {
  readonly url: string;
  readonly arn: string;
}

/** What one poll did: the records it handed over, what the handler reported, what it deleted. */
export interface PollResult {
  readonly records: readonly SQSRecord[];
  readonly reported: readonly string[];
  readonly deleted: number;
}

/**
 * Plays Lambda's SQS event source mapping once: receives a batch, invokes `handler` with it as an
 * SQS event, and deletes every message the handler did not report (`batchItemFailures`); the
 * reported ones stay, and reappear after the visibility timeout. `answerLost` plays an invocation
 * that did its work but never answered (a timeout): nothing is deleted, everything comes back.
 */
export async function pollOnce(
  sqs: SQSClient,
  queue: PolledQueue,
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
  context: Context,
  options: { answerLost?: boolean } = {},
): Promise<PollResult> {
  const received = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  const records = (received.Messages ?? []).map((message) => toRecord(message, queue.arn));
  if (records.length === 0) return { records, reported: [], deleted: 0 };
  const response = await handler({ Records: records }, context);
  const reported = response.batchItemFailures.map((failure) => failure.itemIdentifier);
  if (options.answerLost) return { records, reported, deleted: 0 };
  const done = records.filter((record) => !reported.includes(record.messageId));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: done.map((record, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle })),
      }),
    );
  }
  return { records, reported, deleted: done.length };
}

/** An SQS message as Lambda hands it to a function. */
function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}
