import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { fromItem, type Item } from '../lambda/core/dynamodb-items.js';
import { recordId } from '../lambda/core/engine.js';
import { storedForm } from '../lambda/core/result-codec.js';
import { validateKey } from '../lambda/core/key.js';
import {
  FINGERPRINT_ATTRIBUTE,
  IN_PROGRESS,
  LEASE_ATTRIBUTE,
  OWNER_ATTRIBUTE,
  PARTITION_KEY,
  STATUS_ATTRIBUTE,
  TTL_ATTRIBUTE,
} from '../lambda/core/table-schema.js';
import { stepRecordId } from '../lambda/steps/step.js';
import { CliUsageError } from './args.js';

/** Where the CLI reads: a client and a table. */
export interface Table {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/** A record as the CLI shows it: what an operator needs, never the result itself. */
export interface RecordView {
  readonly id: string;
  /** `in-progress` or `completed`. */
  readonly status: 'in-progress' | 'completed';
  /** The owner token of the invocation that claimed it (kept after completion). */
  readonly owner?: string;
  /** When an in-progress claim's lease ends (ISO 8601); absent on completed records and started steps. */
  readonly leaseExpiresAt?: string;
  /** Whether the lease has passed: the claim no longer blocks its key. */
  readonly leaseExpired?: boolean;
  /** When DynamoDB's TTL may delete the record (ISO 8601); until then it answers retries. */
  readonly retainedUntil: string;
  /** Size of the stored result in bytes, as stored; `0` when none. */
  readonly resultBytes: number;
  /**
   * `json` (text), `clone` (a structured clone, for values JSON cannot hold), `brotli`
   * (compressed JSON or clone), `deflate` (compressed, written by 0.1) or `none`.
   */
  readonly resultEncoding: ReturnType<typeof storedForm>;
  /** The id of the item holding a large result, kept out of the record; size and encoding are that item's. */
  readonly resultItem?: string;
  /** Why a completed record has no replayable result (`too-large`, `unserializable`). */
  readonly resultUnavailable?: string;
  /** Hash of the request fingerprint. */
  readonly fingerprint: string;
}

/** A DynamoDB client for the flags; DynamoDB Local on this machine gets placeholder credentials when none are set. */
export function tableFor(tableName: string, region: string | undefined, endpoint: string | undefined, env: NodeJS.ProcessEnv): Table {
  const local = endpoint !== undefined && isLocalEndpoint(endpoint);
  const hasCredentials = Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE);
  const client = new DynamoDBClient({
    ...(region ? { region } : local ? { region: 'us-east-1' } : {}),
    ...(endpoint ? { endpoint } : {}),
    // DynamoDB Local accepts any credentials, but the SDK insists on some.
    ...(local && !hasCredentials ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  return { client, tableName };
}

function isLocalEndpoint(endpoint: string): boolean {
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch (error) {
    throw new CliUsageError(`--endpoint ${JSON.stringify(endpoint)} is not a URL; e.g. http://localhost:8000`, { cause: error });
  }
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

/**
 * The record id of a key, computed by the runtime's own `recordId` after the runtime's own key
 * validation: the CLI never has a second copy of either.
 */
export function parentRecordId(name: string, key: string, scope: string | undefined): string {
  let validKey: string;
  try {
    validKey = validateKey(key);
  } catch (error) {
    throw new CliUsageError(`--key is not a key the library accepts: ${(error as Error).message}`, { cause: error });
  }
  if (name.length === 0) throw new CliUsageError('--name is empty');
  return recordId(name, validKey, scope);
}

/** The record id of a step of a parent record, by the runtime's own `stepRecordId`. */
export { stepRecordId };

/** Reads one item, strongly consistent. */
export async function readItem(table: Table, id: string): Promise<Item | undefined> {
  const out = await table.client.send(
    new GetItemCommand({ TableName: table.tableName, Key: { [PARTITION_KEY]: { S: id } }, ConsistentRead: true }),
  );
  return out.Item;
}

/** What the CLI shows of an item, read with the runtime's own item mapping; `resultItem` holds a result kept apart. */
export function viewOf(item: Item, nowMs: number, resultItem?: Item): RecordView {
  const record = fromItem(item);
  const result = resultItem ? fromItem(resultItem).result : record.result;
  return {
    id: record.id,
    status: record.status,
    ...(record.owner ? { owner: record.owner } : {}),
    ...(record.leaseExpiresAtMs !== undefined
      ? { leaseExpiresAt: new Date(record.leaseExpiresAtMs).toISOString(), leaseExpired: record.leaseExpiresAtMs < nowMs }
      : {}),
    retainedUntil: new Date(record.expiresAtSeconds * 1000).toISOString(),
    resultBytes: result === undefined ? 0 : typeof result === 'string' ? Buffer.byteLength(result) : result.byteLength,
    resultEncoding: storedForm(result),
    ...(record.resultRef ? { resultItem: record.resultRef } : {}),
    ...(record.resultUnavailable ? { resultUnavailable: record.resultUnavailable } : {}),
    fingerprint: record.fingerprint,
  };
}

/**
 * Deletes `item` only if it is still the same version: same status, owner, fingerprint, lease
 * and expiry. A record claimed or completed since it was read is left alone (returns `false`).
 */
export async function deleteIfUnchanged(table: Table, item: Item): Promise<boolean> {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const conditions: string[] = [];
  [STATUS_ATTRIBUTE, OWNER_ATTRIBUTE, FINGERPRINT_ATTRIBUTE, LEASE_ATTRIBUTE, TTL_ATTRIBUTE].forEach((attribute, index) => {
    names[`#a${index}`] = attribute;
    const value = item[attribute];
    if (value === undefined) {
      conditions.push(`attribute_not_exists(#a${index})`);
    } else {
      values[`:v${index}`] = value;
      conditions.push(`#a${index} = :v${index}`);
    }
  });
  try {
    await table.client.send(
      new DeleteItemCommand({
        TableName: table.tableName,
        Key: { [PARTITION_KEY]: item[PARTITION_KEY] },
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/** Progress of a paginated scan, after each page. */
export interface ScanProgress {
  readonly pages: number;
  readonly scanned: number;
  readonly matched: number;
}

/** Scans the whole table page by page with a filter, calling `onPage` after each page. */
export async function scanItems(
  table: Table,
  filter: { expression: string; names: Record<string, string>; values: Record<string, AttributeValue> },
  onPage: (progress: ScanProgress) => void,
): Promise<Item[]> {
  const found: Item[] = [];
  let startKey: Item | undefined;
  let pages = 0;
  let scanned = 0;
  do {
    const page = await table.client.send(
      new ScanCommand({
        TableName: table.tableName,
        FilterExpression: filter.expression,
        ExpressionAttributeNames: filter.names,
        ExpressionAttributeValues: filter.values,
        ExclusiveStartKey: startKey,
      }),
    );
    pages += 1;
    scanned += page.ScannedCount ?? 0;
    found.push(...(page.Items ?? []));
    onPage({ pages, scanned, matched: found.length });
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return found;
}

/** Filter: in-progress records past their lease, and started steps (in progress, no lease), live by TTL. */
export function stuckFilter(nowMs: number) {
  return {
    expression: '#s = :p AND (attribute_not_exists(#l) OR #l < :now) AND #e >= :nowSeconds',
    names: { '#s': STATUS_ATTRIBUTE, '#l': LEASE_ATTRIBUTE, '#e': TTL_ATTRIBUTE },
    values: {
      ':p': { S: IN_PROGRESS },
      ':now': { N: String(nowMs) },
      ':nowSeconds': { N: String(Math.floor(nowMs / 1000)) },
    },
  };
}

/** Filter: the step records of one parent record (their ids start with `<parent id>#step#`). */
export function stepsFilter(parentId: string) {
  const prefix = stepRecordId(parentId, '').replace(/[^#]*$/, '');
  return {
    expression: 'begins_with(#id, :prefix)',
    names: { '#id': PARTITION_KEY },
    values: { ':prefix': { S: prefix } },
  };
}
