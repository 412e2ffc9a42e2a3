import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { IdempotencyError, IdempotencyStoreError } from './errors.js';
import type { UnstorableReason } from './result-codec.js';
import type { ClaimRecord, ClaimResult, CompletionRecord, IdempotencyRecord, IdempotencyStore } from './store.js';
import { ATTR, PARTITION_KEY, STATUS, TTL_ATTRIBUTE } from './table-schema.js';

/** Options for {@link DynamoDBStore}. */
export interface DynamoDBStoreOptions {
  /**
   * The idempotency table's name.
   * @default - the `IDEMPOTENCY_TABLE_NAME` environment variable (set by `IdempotencyTable.useBy`)
   */
  readonly tableName?: string;
  /**
   * The client to send requests with (its retries, region and credentials apply).
   * @default - a `DynamoDBClient` with the SDK's defaults
   */
  readonly client?: DynamoDBClient;
}

type Item = Record<string, AttributeValue>;

// Conditions, named for the rule they enforce. `#e` stands for the TTL attribute.
const keyIsFree = `attribute_not_exists(${PARTITION_KEY})`;
const recordExpired = '#e < :nowS';
const leaseLapsedOnSamePayload = `(${ATTR.status} = :p AND ${ATTR.leaseExpiresAtMs} < :nowMs AND ${ATTR.fingerprint} = :f)`;
const claimCondition = `${keyIsFree} OR ${recordExpired} OR ${leaseLapsedOnSamePayload}`;
const heldByOwner = `${ATTR.owner} = :o AND ${ATTR.status} = :p`;
const names = { '#e': TTL_ATTRIBUTE };

/** Stores idempotency records in one DynamoDB table (partition key `id`, TTL on `expiration`). */
export class DynamoDBStore implements IdempotencyStore {
  /** The table every request goes to. */
  readonly tableName: string;
  /** The client every request is sent with. */
  readonly client: DynamoDBClient;

  constructor(options: DynamoDBStoreOptions = {}) {
    const tableName = options.tableName ?? process.env.IDEMPOTENCY_TABLE_NAME;
    if (!tableName) {
      throw new IdempotencyError(
        'DynamoDBStore needs a table: pass { tableName } or set IDEMPOTENCY_TABLE_NAME (IdempotencyTable.useBy does)',
      );
    }
    this.tableName = tableName;
    this.client = options.client ?? new DynamoDBClient({});
  }

  async claim(record: ClaimRecord, nowMs: number): Promise<ClaimResult> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [PARTITION_KEY]: { S: record.id },
            [ATTR.status]: { S: STATUS.inProgress },
            [ATTR.owner]: { S: record.owner },
            [ATTR.fingerprint]: { S: record.fingerprint },
            [ATTR.leaseExpiresAtMs]: { N: String(record.leaseExpiresAtMs) },
            [TTL_ATTRIBUTE]: { N: String(record.expiresAtSeconds) },
          },
          ConditionExpression: claimCondition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':nowS': { N: String(Math.floor(nowMs / 1000)) },
            ':nowMs': { N: String(nowMs) },
            ':p': { S: STATUS.inProgress },
            ':f': { S: record.fingerprint },
          },
          // The record in the way comes back with the failure: a replay costs one request.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (isConditionFailure(error)) {
        const item = (error as { Item?: Item }).Item;
        return { claimed: false, existing: item ? toRecord(item) : undefined };
      }
      throw new IdempotencyStoreError('claim', { cause: error });
    }
  }

  async complete(record: CompletionRecord, owner: string): Promise<boolean> {
    const values: Item = {
      ':c': { S: STATUS.completed },
      ':exp': { N: String(record.expiresAtSeconds) },
      ':o': { S: owner },
      ':p': { S: STATUS.inProgress },
    };
    let set = `${ATTR.status} = :c, #e = :exp`;
    if (record.result !== undefined) {
      values[':r'] = typeof record.result === 'string' ? { S: record.result } : { B: record.result };
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
          UpdateExpression: `SET ${set} REMOVE ${ATTR.owner}, ${ATTR.leaseExpiresAtMs}`,
          ConditionExpression: heldByOwner,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new IdempotencyStoreError('complete', { cause: error });
    }
  }

  async release(id: string, owner: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: { S: id } },
          ConditionExpression: heldByOwner,
          ExpressionAttributeValues: { ':o': { S: owner }, ':p': { S: STATUS.inProgress } },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new IdempotencyStoreError('release', { cause: error });
    }
  }
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

function toRecord(item: Item): IdempotencyRecord {
  const result = item[ATTR.result];
  return {
    id: item[PARTITION_KEY]?.S ?? '',
    status: item[ATTR.status]?.S === STATUS.completed ? 'completed' : 'in-progress',
    fingerprint: item[ATTR.fingerprint]?.S ?? '',
    expiresAtSeconds: Number(item[TTL_ATTRIBUTE]?.N ?? 0),
    leaseExpiresAtMs: item[ATTR.leaseExpiresAtMs]?.N ? Number(item[ATTR.leaseExpiresAtMs].N) : undefined,
    owner: item[ATTR.owner]?.S,
    result: result?.S ?? result?.B,
    resultUnavailable: item[ATTR.resultUnavailable]?.S as UnstorableReason | undefined,
  };
}
