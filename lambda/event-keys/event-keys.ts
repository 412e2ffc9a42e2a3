import type { IdempotencyOptions } from '../core/options.js';

// Structural subsets of `@types/aws-lambda`'s `SNSEvent`, `ScheduledEvent` and `S3Event`: users
// need not install it, and those who do pass their events unchanged.

/** An SNS event as far as {@link snsMessage} reads it; `SNSEvent` from `aws-lambda` is one. */
export interface SNSEvent {
  readonly Records: readonly {
    readonly Sns: {
      readonly MessageId: string;
      readonly Message: string;
      readonly Subject?: string;
      readonly MessageAttributes?: object;
      readonly TopicArn: string;
    };
  }[];
}

/** A scheduled EventBridge rule's event as far as {@link scheduledEvent} reads it; `ScheduledEvent` from `aws-lambda` is one. */
export interface ScheduledEvent {
  readonly time: string;
  readonly resources: readonly string[];
}

/** An S3 notification as far as {@link s3Notification} reads it; `S3Event` from `aws-lambda` is one. */
export interface S3Event {
  readonly Records: readonly {
    readonly eventName: string;
    readonly s3: {
      readonly bucket: { readonly name: string };
      readonly object: { readonly key: string; readonly size?: number; readonly eTag?: string; readonly versionId?: string; readonly sequencer: string };
    };
  }[];
}

/**
 * A key and fingerprint for one kind of event, to spread into `makeIdempotent` or `idempotency()`
 * options: `makeIdempotent(handler, { store, ...snsMessage })`.
 */
export type KeyPreset<TEvent> = Required<Pick<IdempotencyOptions<TEvent>, 'key' | 'fingerprint'>>;

/**
 * SNS to Lambda: the message id. SNS keeps a message's `MessageId` when it retries a delivery,
 * and Lambda's asynchronous retries resend the same event, so both are caught. A publisher that
 * publishes the same thing twice makes two messages: pass a business key from the message for that.
 * The fingerprint is the message, its subject and attributes, never the signature fields.
 */
export const snsMessage: KeyPreset<SNSEvent> = {
  key: (event) => onlyRecord(event, 'SNS').Sns.MessageId,
  fingerprint: (event) => {
    const { Message, Subject, MessageAttributes, TopicArn } = onlyRecord(event, 'SNS').Sns;
    return { topic: TopicArn, subject: Subject ?? null, message: Message, attributes: MessageAttributes ?? {} };
  },
};

/**
 * A scheduled EventBridge rule (`detail-type: Scheduled Event`): the rule's ARN and the scheduled
 * time. The event `id` is new for every event EventBridge generates, so it would not catch a
 * schedule that fires twice for one time; rule and time do.
 */
export const scheduledEvent: KeyPreset<ScheduledEvent> = {
  key: (event) => {
    const [rule] = event.resources ?? [];
    if (typeof rule !== 'string' || typeof event.time !== 'string') {
      throw new Error('not a scheduled event: expected resources[0] (the rule ARN) and time');
    }
    return `${rule} ${event.time}`;
  },
  fingerprint: (event) => event.resources,
};

/**
 * S3 event notification to Lambda: bucket, object key and the event's `sequencer`. S3 delivers
 * notifications at least once; a repeated delivery of one event repeats its sequencer, while a new
 * write of the same object is a new event with a new one. The fingerprint is the event's name and
 * the object's size, ETag and version.
 */
export const s3Notification: KeyPreset<S3Event> = {
  key: (event) => {
    const { bucket, object } = onlyRecord(event, 'S3').s3;
    return `${bucket.name}/${object.key} ${object.sequencer}`;
  },
  fingerprint: (event) => {
    const record = onlyRecord(event, 'S3');
    const { size, eTag, versionId } = record.s3.object;
    return { event: record.eventName, size: size ?? null, eTag: eTag ?? null, versionId: versionId ?? null };
  },
};

/** The one record SNS and S3 put in each Lambda event; more would need a key per record. */
function onlyRecord<TRecord>(event: { readonly Records?: readonly TRecord[] }, source: string): TRecord {
  const records = event?.Records;
  if (!Array.isArray(records) || records.length !== 1) {
    throw new Error(
      `expected a ${source} event with exactly one record, got ${Array.isArray(records) ? records.length : 'none'}`,
    );
  }
  return records[0];
}
