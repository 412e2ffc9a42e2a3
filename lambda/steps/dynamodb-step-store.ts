import {
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { IdempotencyStoreError } from '../core/errors.js';
import type { UnstorableReason } from '../core/result-codec.js';
import { ATTR, PARTITION_KEY, STATUS, TTL_ATTRIBUTE } from '../core/table-schema.js';
import type { StepRecord, StepStore, StepWriteResult } from './step-store.js';

/** Options for {@link DynamoDBStepStore}. */
export interface DynamoDBStepStoreOptions {
  /** The idempotency table, shared with the parent records. */
  readonly tableName: string;
  /** The client every request is sent with. */
  readonly client: DynamoDBClient;
}

type Item = Record<string, AttributeValue>;

// Conditions, named for the rule they enforce. `#e` stands for the TTL attribute.
const keyIsFree = `attribute_not_exists(${PARTITION_KEY})`;
const recordExpired = '#e < :nowS';
const startedForSamePayload = `(${ATTR.status} = :p AND ${ATTR.fingerprint} = :f)`;
const startedByOwner = `${ATTR.status} = :p AND ${ATTR.owner} = :o`;
const names = { '#e': TTL_ATTRIBUTE };

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
    try {
      const out = await this.client.send(
        // Strongly consistent: an eventually consistent read could miss a step just recorded and run it again.
        new GetItemCommand({ TableName: this.tableName, Key: { [PARTITION_KEY]: { S: id } }, ConsistentRead: true }),
      );
      return out.Item ? toStepRecord(out.Item) : undefined;
    } catch (error) {
      throw new IdempotencyStoreError('step read', { cause: error });
    }
  }

  startStep(record: StepRecord, nowMs: number): Promise<StepWriteResult> {
    return this.putUnless(record, `${keyIsFree} OR ${recordExpired}`, { ':nowS': nowSeconds(nowMs) }, 'step start');
  }

  recordStep(record: StepRecord, nowMs: number): Promise<StepWriteResult> {
    return this.putUnless(
      record,
      `${keyIsFree} OR ${recordExpired} OR ${startedForSamePayload}`,
      { ':nowS': nowSeconds(nowMs), ':p': { S: STATUS.inProgress }, ':f': { S: record.fingerprint } },
      'step record',
    );
  }

  async finishStep(record: StepRecord, owner: string): Promise<boolean> {
    const values: Item = {
      ':c': { S: STATUS.completed },
      ':exp': { N: String(record.expiresAtSeconds) },
      ':o': { S: owner },
      ':p': { S: STATUS.inProgress },
    };
    let set = `${ATTR.status} = :c, #e = :exp`;
    if (record.result !== undefined) {
      values[':r'] = resultValue(record.result);
      set += `, ${ATTR.result} = :r`;
    }
    if (record.resultUnavailable) {
      values[':u'] = { S: record.resultUnavailable };
      set += `, ${ATTR.resultUnavailable} = :u`;
    }
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: { S: record.id } },
          UpdateExpression: `SET ${set} REMOVE ${ATTR.owner}`,
          ConditionExpression: startedByOwner,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new IdempotencyStoreError('step finish', { cause: error });
    }
  }

  async extendStep(id: string, expiresAtSeconds: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: { S: id } },
          UpdateExpression: 'SET #e = :exp',
          // Only an existing record that would expire sooner: never resurrect or shorten one.
          ConditionExpression: `attribute_exists(${PARTITION_KEY}) AND #e < :exp`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':exp': { N: String(expiresAtSeconds) } },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      throw new IdempotencyStoreError('step extend', { cause: error });
    }
  }

  private async putUnless(
    record: StepRecord,
    condition: string,
    values: Item,
    operation: string,
  ): Promise<StepWriteResult> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem(record),
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          // The record in the way comes back with the failure: a replay costs this one request.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { written: true };
    } catch (error) {
      if (isConditionFailure(error)) {
        const item = (error as { Item?: Item }).Item;
        return { written: false, existing: item ? toStepRecord(item) : undefined };
      }
      throw new IdempotencyStoreError(operation, { cause: error });
    }
  }
}

function nowSeconds(nowMs: number): AttributeValue {
  return { N: String(Math.floor(nowMs / 1000)) };
}

function resultValue(result: string | Uint8Array): AttributeValue {
  return typeof result === 'string' ? { S: result } : { B: result };
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

function toItem(record: StepRecord): Item {
  const item: Item = {
    [PARTITION_KEY]: { S: record.id },
    [ATTR.status]: { S: record.status === 'completed' ? STATUS.completed : STATUS.inProgress },
    [ATTR.fingerprint]: { S: record.fingerprint },
    [TTL_ATTRIBUTE]: { N: String(record.expiresAtSeconds) },
  };
  if (record.owner !== undefined) item[ATTR.owner] = { S: record.owner };
  if (record.result !== undefined) item[ATTR.result] = resultValue(record.result);
  if (record.resultUnavailable) item[ATTR.resultUnavailable] = { S: record.resultUnavailable };
  return item;
}

function toStepRecord(item: Item): StepRecord {
  const result = item[ATTR.result];
  return {
    id: item[PARTITION_KEY]?.S ?? '',
    status: item[ATTR.status]?.S === STATUS.completed ? 'completed' : 'in-progress',
    fingerprint: item[ATTR.fingerprint]?.S ?? '',
    expiresAtSeconds: Number(item[TTL_ATTRIBUTE]?.N ?? 0),
    owner: item[ATTR.owner]?.S,
    result: result?.S ?? result?.B,
    resultUnavailable: item[ATTR.resultUnavailable]?.S as UnstorableReason | undefined,
  };
}
