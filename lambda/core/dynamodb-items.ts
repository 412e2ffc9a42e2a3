import { GetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyStoreError } from './errors.js';
import type { EncodedResult, UnstorableReason } from './result-codec.js';
import type { CompletionRecord, IdempotencyRecord } from './store.js';
import {
  COMPLETED,
  FINGERPRINT_ATTRIBUTE,
  IN_PROGRESS,
  LEASE_ATTRIBUTE,
  OWNER_ATTRIBUTE,
  PARTITION_KEY,
  RESULT_ATTRIBUTE,
  RESULT_ITEM_ATTRIBUTE,
  RESULT_UNAVAILABLE_ATTRIBUTE,
  STATUS_ATTRIBUTE,
  TTL_ATTRIBUTE,
} from './table-schema.js';

/**
 * How records map to DynamoDB items, shared by the parent store and the step store so both
 * read and complete records by the one table contract.
 */
export type Item = Record<string, AttributeValue>;

// Expressions are joined with `+`, not template literals: a bundler folds `+` of the inlined
// attribute constants into one string literal, and leaves templates as they are.

/** `#e` stands for the TTL attribute in every expression. */
export const TTL_NAMES = { '#e': TTL_ATTRIBUTE };

/** True for the failure of a condition expression (the record in the way, if asked for, is on `Item`). */
function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

/**
 * Awaits a conditional write (`send`). Returns `true` if it was applied; if its condition failed,
 * the item in the way (when the command asked for it with `ReturnValuesOnConditionCheckFailure`)
 * or `undefined`. Any other failure is an {@link IdempotencyStoreError} naming `operation`.
 */
export async function conditionalWrite(send: () => Promise<unknown>, operation: string): Promise<true | Item | undefined> {
  try {
    await send();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return (error as { Item?: Item }).Item;
    throw new IdempotencyStoreError(operation, { cause: error });
  }
}

/** The attribute value of a stored result: JSON text as S, bytes (clone, compressed) as B. */
export function resultValue(result: string | Uint8Array): AttributeValue {
  return typeof result === 'string' ? { S: result } : { B: result };
}

/** The stored result an attribute value holds. */
export function resultOf(value: AttributeValue | undefined): EncodedResult {
  return value?.S ?? value?.B;
}

/** Reads a record from an item. */
export function fromItem(item: Item): IdempotencyRecord {
  const lease = item[LEASE_ATTRIBUTE]?.N;
  return {
    id: item[PARTITION_KEY]?.S ?? '',
    status: item[STATUS_ATTRIBUTE]?.S === COMPLETED ? 'completed' : 'in-progress',
    fingerprint: item[FINGERPRINT_ATTRIBUTE]?.S ?? '',
    expiresAtSeconds: Number(item[TTL_ATTRIBUTE]?.N ?? 0),
    leaseExpiresAtMs: lease ? Number(lease) : undefined,
    owner: item[OWNER_ATTRIBUTE]?.S,
    result: resultOf(item[RESULT_ATTRIBUTE]),
    resultUnavailable: item[RESULT_UNAVAILABLE_ATTRIBUTE]?.S as UnstorableReason | undefined,
    resultRef: item[RESULT_ITEM_ATTRIBUTE]?.S,
  };
}

/** Where a store sends its requests. */
export interface TableClient {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/**
 * Turns the in-progress record held by `owner` into a completed one with one conditional
 * `UpdateItem`: status, expiry and result set, everything else kept (a step record's finish;
 * a parent record is completed whole, by `DynamoDBStore.complete`). The owner stays, so a write
 * whose response was lost and whose SDK retry then fails its condition is still known as ours.
 * Returns `false` if `owner` no longer holds the record.
 */
export async function completeItem(
  table: TableClient,
  record: CompletionRecord,
  owner: string,
  operation: string,
): Promise<boolean> {
  const values: Item = {
    ':c': { S: COMPLETED },
    ':exp': { N: String(record.expiresAtSeconds) },
    ':o': { S: owner },
    ':p': { S: IN_PROGRESS },
  };
  let set = STATUS_ATTRIBUTE + ' = :c, #e = :exp';
  if (record.result !== undefined) {
    values[':r'] = resultValue(record.result);
    set += ', ' + RESULT_ATTRIBUTE + ' = :r';
  }
  if (record.resultUnavailable) {
    values[':u'] = { S: record.resultUnavailable };
    set += ', ' + RESULT_UNAVAILABLE_ATTRIBUTE + ' = :u';
  }
  const command = new UpdateItemCommand({
    TableName: table.tableName,
    Key: { [PARTITION_KEY]: { S: record.id } },
    UpdateExpression: 'SET ' + set,
    ConditionExpression: HELD_BY_OWNER,
    ExpressionAttributeNames: TTL_NAMES,
    ExpressionAttributeValues: values,
  });
  if ((await conditionalWrite(() => table.client.send(command), operation)) === true) return true;
  return completedBy(table, record.id, owner, operation);
}

/**
 * Whether the record `id` is completed and owned by `owner` (read strongly consistent): after a
 * completion's condition failed, tells a lost claim from our own completion, written by an
 * attempt whose response was lost. Asking every completion for the old item would cost its
 * bytes on the usual path.
 */
export async function completedBy(table: TableClient, id: string, owner: string, operation: string): Promise<boolean> {
  const item = await readItem(table, id, true, operation, STATUS_ATTRIBUTE + ', ' + OWNER_ATTRIBUTE);
  return item?.[STATUS_ATTRIBUTE]?.S === COMPLETED && item[OWNER_ATTRIBUTE]?.S === owner;
}

/**
 * Reads the item `id` (only the `projection` attributes, if given); `undefined` if there is none.
 * A failure is an {@link IdempotencyStoreError} naming `operation`.
 */
export async function readItem(
  table: TableClient,
  id: string,
  consistent: boolean,
  operation: string,
  projection?: string,
): Promise<Item | undefined> {
  try {
    const out = await table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: { [PARTITION_KEY]: { S: id } },
        ConsistentRead: consistent,
        ProjectionExpression: projection,
      }),
    );
    return out.Item;
  } catch (error) {
    throw new IdempotencyStoreError(operation, { cause: error });
  }
}

/** Condition: no record has this id. */
export const KEY_IS_FREE = 'attribute_not_exists(' + PARTITION_KEY + ')';

/** Condition: the record is past its expiry (`:nowS`, epoch seconds), though TTL may not have deleted it. */
export const RECORD_EXPIRED = '#e < :nowS';

/** Condition: the record is in progress and held by `:o`. */
export const HELD_BY_OWNER = OWNER_ATTRIBUTE + ' = :o AND ' + STATUS_ATTRIBUTE + ' = :p';
