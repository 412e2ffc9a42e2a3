import { randomBytes } from 'node:crypto';
import { UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyError } from '../core/errors.js';
import { VersionConflictError } from './errors.js';

type Item = Record<string, AttributeValue>;

/** An update expression of your own, applied together with the version increment. */
export interface VersionedUpdate {
  /** A DynamoDB update expression, e.g. `SET #stock = #stock - :n` or `ADD #sold :n`. */
  readonly expression: string;
  /**
   * Placeholders for attribute names used in `expression`.
   * @default - none
   */
  readonly names?: Record<string, string>;
  /**
   * Placeholders for values used in `expression`.
   * @default - none
   */
  readonly values?: Item;
}

/** Input of {@link compareAndSwap}. */
export interface CompareAndSwapInput {
  /** The client to send the one `UpdateItem` request with. */
  readonly client: DynamoDBClient;
  /** The table holding the item (any table, not only the idempotency table). */
  readonly tableName: string;
  /** The item's full primary key. */
  readonly key: Item;
  /**
   * The version the caller read. `0` means "create if absent": the write succeeds only if the
   * item does not exist or has no version attribute yet.
   */
  readonly expectedVersion: number;
  /**
   * Attributes to write (each replaced whole). Give this or `update`, not both.
   * @default - none: only the version moves
   */
  readonly set?: Item;
  /**
   * An update expression to apply instead of `set`, for arithmetic or list changes.
   * @default - none: only the version moves
   */
  readonly update?: VersionedUpdate;
  /**
   * The attribute holding the version number.
   * @default 'version'
   */
  readonly versionAttribute?: string;
  /**
   * Identifies this write; stored on the item. A call that loses the race to a write with its
   * own `writeId` at exactly the next version reports success (`alreadyApplied`) instead of a
   * conflict: the SDK's retry of a write whose response was lost, or a step retried after a
   * crash between its write and its record (pass the step's key).
   * @default - random per call: recognizes the SDK's own retries only
   */
  readonly writeId?: string;
  /**
   * The attribute holding the last `writeId`.
   * @default 'versionWriteId'
   */
  readonly writeIdAttribute?: string;
}

/** The outcome of a successful {@link compareAndSwap}. */
export interface CompareAndSwapResult {
  /** The item's version now: `expectedVersion + 1`. */
  readonly version: number;
  /** The item as stored after the write. */
  readonly item: Item;
  /** `true` when the write with this `writeId` had already been applied; nothing was written now. */
  readonly alreadyApplied: boolean;
}

// Default attribute names are readable: they live in the user's own tables, where one letter would puzzle.
/** The attribute holding the version number unless `versionAttribute` names another. */
export const DEFAULT_VERSION_ATTRIBUTE = 'version';
/** The attribute holding the last write's id unless `writeIdAttribute` names another. */
export const DEFAULT_WRITE_ID_ATTRIBUTE = 'versionWriteId';

// Our own placeholders; a caller's update must not reuse them.
const RESERVED_PREFIX = 'rsCas';
const VERSION = `#${RESERVED_PREFIX}Version`;
const WRITE_ID = `#${RESERVED_PREFIX}WriteId`;
const EXPECTED = `:${RESERVED_PREFIX}Expected`;
const NEXT = `:${RESERVED_PREFIX}Next`;
const WRITER = `:${RESERVED_PREFIX}Writer`;
// `SET` is a reserved word, so outside a placeholder it can only be the clause keyword.
const SET_CLAUSE = /(^|\s)SET\s+/i;

/**
 * A versioned conditional update of any DynamoDB item, in one request: writes only if the
 * stored version equals `expectedVersion` (or, for `0`, the item has none), and increments it.
 * A lost race throws {@link VersionConflictError} carrying the current item, read in the same
 * request (`ReturnValuesOnConditionCheckFailure: ALL_OLD`). So a retry against a state that has
 * moved on fails loudly instead of overwriting it. Other DynamoDB errors propagate unchanged.
 *
 * @example
 * const { version } = await compareAndSwap({
 *   client, tableName: 'inventory', key: { sku: { S: 'sku-1' } },
 *   expectedVersion: 7, update: { expression: 'SET stock = stock - :n', values: { ':n': { N: '1' } } },
 * });
 */
export async function compareAndSwap(input: CompareAndSwapInput): Promise<CompareAndSwapResult> {
  validate(input);
  const versionAttribute = input.versionAttribute ?? DEFAULT_VERSION_ATTRIBUTE;
  const writeIdAttribute = input.writeIdAttribute ?? DEFAULT_WRITE_ID_ATTRIBUTE;
  const writeId = input.writeId ?? randomBytes(12).toString('base64url');
  const { expectedVersion } = input;
  const names: Record<string, string> = { [VERSION]: versionAttribute, [WRITE_ID]: writeIdAttribute };
  const values: Item = { [NEXT]: { N: String(expectedVersion + 1) }, [WRITER]: { S: writeId } };
  const ours = `${VERSION} = ${NEXT}, ${WRITE_ID} = ${WRITER}`;

  let updateExpression = `SET ${ours}`;
  if (input.set) {
    Object.entries(input.set).forEach(([attribute, value], index) => {
      names[`#${RESERVED_PREFIX}A${index}`] = attribute;
      values[`:${RESERVED_PREFIX}A${index}`] = value;
      updateExpression += `, #${RESERVED_PREFIX}A${index} = :${RESERVED_PREFIX}A${index}`;
    });
  } else if (input.update) {
    Object.assign(names, input.update.names);
    Object.assign(values, input.update.values);
    const expression = input.update.expression;
    updateExpression = SET_CLAUSE.test(expression)
      ? expression.replace(SET_CLAUSE, (_match, before: string) => `${before}SET ${ours}, `)
      : `SET ${ours} ${expression}`;
  }
  let condition = `attribute_not_exists(${VERSION})`;
  if (expectedVersion > 0) {
    condition = `${VERSION} = ${EXPECTED}`;
    values[EXPECTED] = { N: String(expectedVersion) };
  }

  try {
    const out = await input.client.send(
      new UpdateItemCommand({
        TableName: input.tableName,
        Key: input.key,
        UpdateExpression: updateExpression,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
        // The item in the way comes back with the failure: a lost race costs no extra read.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { version: expectedVersion + 1, item: out.Attributes ?? {}, alreadyApplied: false };
  } catch (error) {
    if ((error as { name?: string } | undefined)?.name !== 'ConditionalCheckFailedException') throw error;
    const current = (error as { Item?: Item }).Item;
    const actualVersion = versionOf(current, versionAttribute);
    // Our own write is the latest: the SDK retried it after a lost response, or a retried step made it before.
    if (current && actualVersion === expectedVersion + 1 && current[writeIdAttribute]?.S === writeId) {
      return { version: actualVersion, item: current, alreadyApplied: true };
    }
    throw new VersionConflictError(expectedVersion, actualVersion, current);
  }
}

/** The stored version: `0` when the item or its version is absent, `NaN` when it is not a number. */
function versionOf(item: Item | undefined, versionAttribute: string): number {
  const stored = item?.[versionAttribute];
  if (!stored) return 0;
  return stored.N === undefined ? Number.NaN : Number(stored.N);
}

function validate(input: CompareAndSwapInput): void {
  const fail = (message: string): never => {
    throw new IdempotencyError(`compareAndSwap: ${message}`);
  };
  if (!input || typeof input.client?.send !== 'function') fail('input.client must be a DynamoDBClient');
  if (typeof input.tableName !== 'string' || input.tableName.length === 0) {
    fail(`input.tableName must be a non-empty string, got ${JSON.stringify(input.tableName)}`);
  }
  if (typeof input.key !== 'object' || input.key === null || Object.keys(input.key).length === 0) {
    fail('input.key must be the item\'s primary key, e.g. { sku: { S: "sku-1" } }');
  }
  if (!Number.isSafeInteger(input.expectedVersion) || input.expectedVersion < 0) {
    fail(`input.expectedVersion must be a whole number >= 0 (0: create if absent), got ${input.expectedVersion}`);
  }
  if (input.set && input.update) fail('give input.set or input.update, not both');
  const versionAttribute = input.versionAttribute ?? DEFAULT_VERSION_ATTRIBUTE;
  const writeIdAttribute = input.writeIdAttribute ?? DEFAULT_WRITE_ID_ATTRIBUTE;
  for (const [option, value] of [
    ['versionAttribute', versionAttribute],
    ['writeIdAttribute', writeIdAttribute],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0) fail(`input.${option} must be a non-empty string`);
  }
  if (versionAttribute === writeIdAttribute) fail('input.versionAttribute and input.writeIdAttribute must differ');
  if (input.writeId !== undefined && (typeof input.writeId !== 'string' || input.writeId.length === 0)) {
    fail('input.writeId must be a non-empty string');
  }
  if (input.set) {
    for (const attribute of Object.keys(input.set)) {
      if (attribute in input.key) fail(`input.set must not change the key attribute ${JSON.stringify(attribute)}`);
      if (attribute === versionAttribute || attribute === writeIdAttribute) {
        fail(`input.set must not write ${JSON.stringify(attribute)}: compareAndSwap maintains it`);
      }
    }
  }
  if (input.update) {
    if (typeof input.update.expression !== 'string' || input.update.expression.trim().length === 0) {
      fail('input.update.expression must be a non-empty update expression');
    }
    const placeholders = [...Object.keys(input.update.names ?? {}), ...Object.keys(input.update.values ?? {})];
    const clash = placeholders.find((p) => p.slice(1).startsWith(RESERVED_PREFIX));
    if (clash) fail(`input.update placeholder ${clash} is reserved: placeholders starting with #${RESERVED_PREFIX} or :${RESERVED_PREFIX} are compareAndSwap's`);
  }
}
