import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSRecord } from 'aws-lambda';
import { startFauxqs } from 'fauxqs';
import { DynamoDBStore, makeIdempotentBatch, step } from '../lambda/index.js';
import { createIdempotencyTable, localClient } from './dynamodb-local.js';
import { pollOnce, type PolledQueue } from './queue-poller.js';

/** One line of the story: what was expected, what happened. */
export interface QueueOutcome {
  readonly story: string;
  readonly expected: string;
  readonly actual: string;
  readonly ok: boolean;
}

// Short, so the demo takes seconds: reported messages reappear after it.
const VISIBILITY_TIMEOUT_SECONDS = 1;
const MAX_RECEIVE_COUNT = 3;
const ORDERS = ['o-1', 'o-2', 'o-3', 'o-4', 'o-5'];
const POISON = 'o-poison';

/**
 * The queue consumer's stories, on a real SQS-compatible server (fauxqs, in-process) and DynamoDB
 * Local: a batch whose answer is lost comes back whole and ships nothing twice; a poison message
 * is reported on each receive and lands in the dead-letter queue; every order ships once.
 */
export async function playQueueStories(dynamoDBEndpoint: string, log: (line: string) => void = () => undefined): Promise<QueueOutcome[]> {
  const server = await startFauxqs({ port: 0, logger: false });
  const sqs = new SQSClient({
    endpoint: server.address,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const dynamodb = localClient(dynamoDBEndpoint);
  try {
    const tableName = `queue-demo-${Date.now()}`;
    await createIdempotencyTable(dynamodb, tableName);
    const dlq = server.createQueue('fulfilment-dlq');
    const created = server.createQueue('fulfilment', {
      attributes: {
        VisibilityTimeout: String(VISIBILITY_TIMEOUT_SECONDS),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: String(MAX_RECEIVE_COUNT) }),
      },
    });
    const queue: PolledQueue = { url: created.queueUrl, arn: created.queueArn };

    const shipped = new Map<string, number>();
    const attempts = new Map<string, number>();
    const handler = makeIdempotentBatch(
      async (record: SQSRecord) => {
        const { orderId } = JSON.parse(record.body) as { orderId: string };
        attempts.set(orderId, (attempts.get(orderId) ?? 0) + 1);
        if (orderId === POISON) throw new Error(`order ${orderId} cannot be fulfilled`);
        return step('ship', () => {
          shipped.set(orderId, (shipped.get(orderId) ?? 0) + 1);
          return { orderId, parcel: `parcel-${orderId}` };
        });
      },
      { store: new DynamoDBStore({ tableName, client: dynamodb }), name: 'fulfilment', logger: { warn: () => undefined, error: () => undefined } },
    );
    // A short remaining time gives a short lease, as a function with a short timeout has.
    const context = localContext('fulfilment', 1_000);

    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: [...ORDERS, POISON].map((orderId, i) => ({ Id: String(i), MessageBody: JSON.stringify({ orderId }) })),
      }),
    );
    log(`sent ${ORDERS.length} orders and 1 poison message to the queue`);

    // First delivery: the work is done, but the invocation's answer is lost (say, a timeout).
    const first = await receiveAll(() => pollOnce(sqs, queue, handler, context, { answerLost: true }), ORDERS.length + 1);
    log(`batch 1: ${first.records} records, ${first.reported} reported; the answer was lost, so nothing is deleted`);
    await pause(VISIBILITY_TIMEOUT_SECONDS);

    // Redelivery: everything comes back; finished orders are replayed, the poison is reported again.
    const shippedBefore = total(shipped);
    const second = await receiveAll(() => pollOnce(sqs, queue, handler, context), ORDERS.length + 1);
    log(`batch 2 (redelivered): ${second.records} records, ${second.deleted} deleted, ${second.reported} reported`);

    // Keep polling, as the event source mapping does, until the poison has moved to the dead-letter queue.
    for (let poll = 0; poll < 10 && (await count(sqs, queue.url)) > 0; poll++) {
      await pause(VISIBILITY_TIMEOUT_SECONDS);
      const next = await pollOnce(sqs, queue, handler, context);
      if (next.records.length > 0) log(`batch: ${next.records.length} record(s), ${next.reported.length} reported`);
    }
    const deadLetters = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const dead = (deadLetters.Messages ?? []).map((m) => (JSON.parse(m.Body ?? '{}') as { orderId?: string }).orderId);
    log(`dead-letter queue: ${dead.join(', ') || 'empty'}`);

    const outcome = (story: string, expected: string, actual: string): QueueOutcome => ({ story, expected, actual, ok: expected === actual });
    return [
      outcome('a lost answer: the whole batch comes back', String(ORDERS.length + 1), String(second.records)),
      outcome('redelivered orders ship again', '0', String(total(shipped) - shippedBefore)),
      outcome('redelivered orders deleted, poison reported', `${ORDERS.length} deleted, 1 reported`, `${second.deleted} deleted, ${second.reported} reported`),
      outcome('the poison message ends in the dead-letter queue', POISON, dead.join(', ')),
      outcome(`the poison ran once per receive (maxReceiveCount ${MAX_RECEIVE_COUNT})`, String(MAX_RECEIVE_COUNT), String(attempts.get(POISON) ?? 0)),
      outcome('every order shipped exactly once', ORDERS.map(() => 1).join(' '), ORDERS.map((o) => shipped.get(o) ?? 0).join(' ')),
    ];
  } finally {
    sqs.destroy();
    dynamodb.destroy();
    await server.stop();
  }
}

/** Polls until `expected` records were handed over (a receive may return part of the queue). */
async function receiveAll(
  poll: () => ReturnType<typeof pollOnce>,
  expected: number,
): Promise<{ records: number; reported: number; deleted: number }> {
  const sum = { records: 0, reported: 0, deleted: 0 };
  for (let attempt = 0; attempt < 10 && sum.records < expected; attempt++) {
    const result = await poll();
    sum.records += result.records.length;
    sum.reported += result.reported.length;
    sum.deleted += result.deleted;
  }
  return sum;
}

async function count(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

const total = (counts: Map<string, number>) => [...counts.values()].reduce((sum, n) => sum + n, 0);
const pause = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 100));

/** A Lambda context for a local invocation of `functionName` with this much time left. */
export function localContext(functionName: string, remainingMs: number): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'local',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
