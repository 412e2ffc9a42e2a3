import { randomUUID } from 'node:crypto';
import type { S3Event, ScheduledEvent, SNSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  IdempotencyKeyInvalidError,
  makeIdempotent,
  s3Notification,
  scheduledEvent,
  snsMessage,
  type KeyPreset,
} from '../../../lambda/index.js';
import { createLocalTable, type LocalTable } from '../../support/local-table.js';
import { lambdaContext } from '../../support/lambda-context.js';

let table: LocalTable;

beforeAll(async () => {
  table = await createLocalTable('event-keys');
});

/** A handler counting its runs, made idempotent with `preset`. */
function counted<TEvent>(preset: KeyPreset<TEvent>) {
  let runs = 0;
  const handler = makeIdempotent(async () => ++runs, { store: table.store, name: `preset-${randomUUID()}`, ...preset });
  return { call: (event: TEvent) => handler(event, lambdaContext()), runs: () => runs };
}

function snsEvent(messageId: string, message: string, signature = randomUUID()): SNSEvent {
  return {
    Records: [
      {
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:orders:sub',
        EventSource: 'aws:sns',
        Sns: {
          SignatureVersion: '1',
          Timestamp: new Date().toISOString(),
          Signature: signature,
          SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/cert.pem',
          MessageId: messageId,
          Message: message,
          MessageAttributes: {},
          Type: 'Notification',
          UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/unsubscribe',
          TopicArn: 'arn:aws:sns:us-east-1:123456789012:orders',
        },
      },
    ],
  };
}

function schedule(rule: string, time: string): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time,
    region: 'us-east-1',
    resources: [rule],
    detail: {},
  };
}

function s3Event(key: string, sequencer: string): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:EXAMPLE' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': randomUUID(), 'x-amz-id-2': randomUUID() },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'uploads',
          bucket: { name: 'uploads', ownerIdentity: { principalId: 'EXAMPLE' }, arn: 'arn:aws:s3:::uploads' },
          object: { key, size: 1024, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer },
        },
      },
    ],
  };
}

describe('snsMessage', () => {
  it('runs once for a retried delivery of one message, whatever its signature fields', async () => {
    const app = counted(snsMessage);
    const messageId = randomUUID();

    await app.call(snsEvent(messageId, '{"orderId":"o-1"}'));
    await app.call(snsEvent(messageId, '{"orderId":"o-1"}'));

    expect(app.runs()).toBe(1);
  });

  it('runs again for a second publish of the same content: a new message id', async () => {
    const app = counted(snsMessage);

    await app.call(snsEvent(randomUUID(), '{"orderId":"o-1"}'));
    await app.call(snsEvent(randomUUID(), '{"orderId":"o-1"}'));

    expect(app.runs()).toBe(2);
  });

  it('rejects an event with more than one record', async () => {
    const app = counted(snsMessage);
    const event = snsEvent(randomUUID(), 'a');

    await expect(app.call({ Records: [...event.Records, ...event.Records] })).rejects.toThrow(IdempotencyKeyInvalidError);
    expect(app.runs()).toBe(0);
  });
});

describe('scheduledEvent', () => {
  it('runs once when a schedule fires twice for one time, each event with its own id', async () => {
    const app = counted(scheduledEvent);
    const rule = `arn:aws:events:us-east-1:123456789012:rule/nightly-${randomUUID()}`;

    await app.call(schedule(rule, '2026-12-02T02:00:00Z'));
    await app.call(schedule(rule, '2026-12-02T02:00:00Z'));
    await app.call(schedule(rule, '2026-12-03T02:00:00Z'));

    expect(app.runs()).toBe(2);
  });
});

describe('s3Notification', () => {
  it('runs once for a repeated notification, and again for a new write of the same object', async () => {
    const app = counted(s3Notification);
    const key = `uploads/${randomUUID()}.csv`;

    await app.call(s3Event(key, '0055AED6DCD90281E5'));
    await app.call(s3Event(key, '0055AED6DCD90281E5'));
    await app.call(s3Event(key, '0055AED6DCD90281F0'));

    expect(app.runs()).toBe(2);
  });
});
