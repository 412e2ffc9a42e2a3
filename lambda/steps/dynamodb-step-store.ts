import {
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  completeItem,
  conditionalWrite,
  fromItem,
  KEY_IS_FREE,
  readItem,
  RECORD_EXPIRED,
  resultValue,
  TTL_NAMES,
  type Item,
} from '../core/dynamodb-items.js';
import {
  COMPLETED,
  FINGERPRINT_ATTRIBUTE,
  IN_PROGRESS,
  OWNER_ATTRIBUTE,
  PARTITION_KEY,
  RESULT_ATTRIBUTE,
  RESULT_UNAVAILABLE_ATTRIBUTE,
  STATUS_ATTRIBUTE,
  TTL_ATTRIBUTE,
} from '../core/table-schema.js';
import type { StepRecord, StepStore, StepWriteResult } from './step-store.js';

/** Options for {@link DynamoDBStepStore}. */
export interface DynamoDBStepStoreOptions {
  /** The idempotency table, shared with the parent records. */
  readonly tableName: string;
  /** The client every request is sent with. */
  readonly client: DynamoDBClient;
}

// Conditions, named for the rule they enforce (the shared ones are in core/dynamodb-items.ts).
const startedForSamePayload = `(${STATUS_ATTRIBUTE} = :p AND ${FINGERPRINT_ATTRIBUTE} = :f)`;

/**
 * Step records in the idempotency table, next to their parent records: same key attribute,
 * same TTL attribute, same one-letter attributes (`s`, `f`, `o`, `r`, `u`).
 */
export class DynamoDBStepStore implements StepStore {
  /** The idempotency table every request goes to. */
  readonly tableName: string;
  /** The client every request is sent with. */
  readonly client: DynamoDBClient;

  constructor(options: DynamoDBStepStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client;
  }

  async readStep(id: string): Promise<StepRecord | undefined> {
    // Strongly consistent: an eventually consistent read could miss a step just recorded and run it again.
    const item = await readItem(this, id, true, 'step read');
    return item && fromItem(item);
  }

  startStep(record: StepRecord, nowMs: number): Promise<StepWriteResult> {
    return this.putUnless(record, `${KEY_IS_FREE} OR ${RECORD_EXPIRED}`, { ':nowS': nowSeconds(nowMs) }, 'step start');
  }

  recordStep(record: StepRecord, nowMs: number): Promise<StepWriteResult> {
    return this.putUnless(
      record,
      `${KEY_IS_FREE} OR ${RECORD_EXPIRED} OR ${startedForSamePayload}`,
      { ':nowS': nowSeconds(nowMs), ':p': { S: IN_PROGRESS }, ':f': { S: record.fingerprint } },
      'step record',
    );
  }

  finishStep(record: StepRecord, owner: string): Promise<boolean> {
    return completeItem(this, record, owner, 'step finish');
  }

  async extendStep(id: string, expiresAtSeconds: number): Promise<void> {
    const command = new UpdateItemCommand({
      TableName: this.tableName,
      Key: { [PARTITION_KEY]: { S: id } },
      UpdateExpression: 'SET #e = :exp',
      // Only an existing record that would expire sooner: never resurrect or shorten one.
      ConditionExpression: `attribute_exists(${PARTITION_KEY}) AND #e < :exp`,
      ExpressionAttributeNames: TTL_NAMES,
      ExpressionAttributeValues: { ':exp': { N: String(expiresAtSeconds) } },
    });
    await conditionalWrite(() => this.client.send(command), 'step extend');
  }

  private async putUnless(
    record: StepRecord,
    condition: string,
    values: Item,
    operation: string,
  ): Promise<StepWriteResult> {
    const command = new PutItemCommand({
      TableName: this.tableName,
      Item: toItem(record),
      ConditionExpression: condition,
      ExpressionAttributeNames: TTL_NAMES,
      ExpressionAttributeValues: values,
      // The record in the way comes back with the failure: a replay costs this one request.
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const answer = await conditionalWrite(() => this.client.send(command), operation);
    return answer === true ? { written: true } : { written: false, existing: answer && fromItem(answer) };
  }
}

function nowSeconds(nowMs: number): AttributeValue {
  return { N: String(Math.floor(nowMs / 1000)) };
}

function toItem(record: StepRecord): Item {
  const item: Item = {
    [PARTITION_KEY]: { S: record.id },
    [STATUS_ATTRIBUTE]: { S: record.status === 'completed' ? COMPLETED : IN_PROGRESS },
    [FINGERPRINT_ATTRIBUTE]: { S: record.fingerprint },
    [TTL_ATTRIBUTE]: { N: String(record.expiresAtSeconds) },
  };
  if (record.owner !== undefined) item[OWNER_ATTRIBUTE] = { S: record.owner };
  if (record.result !== undefined) item[RESULT_ATTRIBUTE] = resultValue(record.result);
  if (record.resultUnavailable) item[RESULT_UNAVAILABLE_ATTRIBUTE] = { S: record.resultUnavailable };
  return item;
}
