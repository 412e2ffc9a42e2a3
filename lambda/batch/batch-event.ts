import { BatchEventInvalidError } from './errors.js';

// The record shapes below are structural subsets of `@types/aws-lambda`'s `SQSRecord`,
// `KinesisStreamRecord` and `DynamoDBRecord` (as `core/lambda-types.ts` is of `Context`): users
// need not install it, and those who do pass their records unchanged.

/** An SQS record, as far as the batch handler reads it; `SQSRecord` from `aws-lambda` is one. */
export interface SQSRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: { readonly MessageGroupId?: string };
  readonly eventSource: string;
  readonly eventSourceARN: string;
}

/** A Kinesis record, as far as the batch handler reads it; `KinesisStreamRecord` from `aws-lambda` is one. */
export interface KinesisStreamRecord {
  readonly eventID: string;
  readonly eventSource: string;
  readonly eventSourceARN: string;
  readonly kinesis: { readonly sequenceNumber: string; readonly data: string; readonly partitionKey: string };
}

/** A DynamoDB Streams record, as far as the batch handler reads it; `DynamoDBRecord` from `aws-lambda` is one. */
export interface DynamoDBRecord {
  readonly eventID?: string;
  readonly eventName?: string;
  readonly eventSource?: string;
  readonly eventSourceARN?: string;
  readonly dynamodb?: {
    readonly Keys?: object;
    readonly NewImage?: object;
    readonly OldImage?: object;
    readonly SequenceNumber?: string;
  };
}

/** A record of a batch Lambda reads from a queue or a stream. */
export type BatchRecord = SQSRecord | KinesisStreamRecord | DynamoDBRecord;

/** The event Lambda's event source mapping sends for SQS, Kinesis and DynamoDB Streams. */
export interface BatchEvent<TRecord extends BatchRecord = BatchRecord> {
  readonly Records: readonly TRecord[];
}

/** Where a batch comes from, as its records' `eventSource` says. */
export type BatchSource = 'aws:sqs' | 'aws:kinesis' | 'aws:dynamodb';

/** What the batch handler needs to know about one record's source. */
export interface SourceRules {
  readonly source: BatchSource;
  /** What Lambda's `batchItemFailures` names a record by: a message id or a sequence number. */
  readonly itemIdentifier: (record: BatchRecord) => string;
  /** The record's own id: what a redelivery repeats. */
  readonly defaultKey: (record: BatchRecord) => string;
  /** The record's payload, never its delivery metadata (receipt handle, receive count, arrival time). */
  readonly defaultFingerprint: (record: BatchRecord) => unknown;
}

const SQS: SourceRules = {
  source: 'aws:sqs',
  itemIdentifier: (record) => (record as SQSRecord).messageId,
  defaultKey: (record) => (record as SQSRecord).messageId,
  defaultFingerprint: (record) => (record as SQSRecord).body,
};

const KINESIS: SourceRules = {
  source: 'aws:kinesis',
  itemIdentifier: (record) => (record as KinesisStreamRecord).kinesis.sequenceNumber,
  defaultKey: (record) => (record as KinesisStreamRecord).eventID,
  defaultFingerprint: (record) => (record as KinesisStreamRecord).kinesis.data,
};

const DYNAMODB: SourceRules = {
  source: 'aws:dynamodb',
  itemIdentifier: (record) => (record as DynamoDBRecord).dynamodb?.SequenceNumber as string,
  defaultKey: (record) => (record as DynamoDBRecord).eventID as string,
  defaultFingerprint: (record) => {
    const change = (record as DynamoDBRecord).dynamodb;
    return { keys: change?.Keys, newImage: change?.NewImage, oldImage: change?.OldImage };
  },
};

const RULES: Readonly<Record<BatchSource, SourceRules>> = {
  'aws:sqs': SQS,
  'aws:kinesis': KINESIS,
  'aws:dynamodb': DYNAMODB,
};

/** A batch read and checked: its records, where they come from, and whether order matters. */
export interface ReadBatch {
  readonly records: readonly BatchRecord[];
  /** Absent for an empty batch, which has no source. */
  readonly rules?: SourceRules;
  /** `standard`: records are independent; `fifo`: order within a message group; `stream`: order within the batch. */
  readonly ordering: 'standard' | 'fifo' | 'stream';
}

/**
 * Checks that `event` is an SQS, Kinesis or DynamoDB Streams batch from one source, with the
 * fields the handler reads, and says what it is. Throws `BatchEventInvalidError` otherwise,
 * before anything is claimed.
 */
export function readBatch(event: unknown): ReadBatch {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  if (!Array.isArray(records)) {
    throw new BatchEventInvalidError(
      `expected an event with a Records array, got ${describe(event)}${records === undefined ? '' : ` with Records ${describe(records)}`}`,
    );
  }
  if (records.length === 0) return { records: [], ordering: 'standard' };
  const first = records[0] as { eventSource?: unknown } | null;
  const source = first?.eventSource;
  if (typeof source !== 'string' || !(source in RULES)) {
    throw new BatchEventInvalidError(
      `Records[0].eventSource is ${JSON.stringify(source)}; expected aws:sqs, aws:kinesis or aws:dynamodb ` +
        '(for SNS, EventBridge or S3 events use makeIdempotent with a key)',
    );
  }
  const rules = RULES[source as BatchSource];
  records.forEach((record: unknown, index: number) => checkRecord(record, index, rules.source));
  if (rules.source !== 'aws:sqs') return { records, rules, ordering: 'stream' };
  const fifo = (records as SQSRecord[]).some((record) => record.eventSourceARN?.endsWith('.fifo'));
  return { records, rules, ordering: fifo ? 'fifo' : 'standard' };
}

function checkRecord(record: unknown, index: number, source: BatchSource): void {
  const at = `Records[${index}]`;
  if (typeof record !== 'object' || record === null) {
    throw new BatchEventInvalidError(`${at} is ${describe(record)}, not a record`);
  }
  const seen = (record as { eventSource?: unknown }).eventSource;
  if (seen !== source) {
    throw new BatchEventInvalidError(
      `${at}.eventSource is ${JSON.stringify(seen)} in a batch from ${source}: one batch comes from one source`,
    );
  }
  const fields = REQUIRED_FIELDS[source];
  for (const path of fields) {
    const value = path.reduce<unknown>((object, name) => (object as Record<string, unknown> | undefined)?.[name], record);
    if (typeof value !== 'string' || value === '') {
      throw new BatchEventInvalidError(`${at}.${path.join('.')} is ${describe(value)}; a ${source} record needs it as a non-empty string`);
    }
  }
}

const REQUIRED_FIELDS: Readonly<Record<BatchSource, readonly (readonly string[])[]>> = {
  'aws:sqs': [['messageId'], ['body']],
  'aws:kinesis': [['eventID'], ['kinesis', 'sequenceNumber'], ['kinesis', 'data']],
  'aws:dynamodb': [['eventID'], ['dynamodb', 'SequenceNumber']],
};

/** What a value is, for an error message: its type, never its content (it may be a payload). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === '') return 'an empty string';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
