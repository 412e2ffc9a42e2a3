import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PARTITION_KEY } from '../lambda/core/table-schema.js';
import { itemSize } from './item-size.js';

/** Capacity units one client consumed since its meter's last reset. */
export interface CapacityCount {
  /** Write units, by AWS's documented rules (see {@link meterCapacity}). */
  wcu: number;
  /** Read units, by the same rules. */
  rcu: number;
  /** Commands sent, by operation: `{ PutItem: 1, GetItem: 1 }`. */
  byOperation: Record<string, number>;
}

/** A command where DynamoDB Local's `ConsumedCapacity` differed from AWS's documented billing. */
export interface CapacityDeviation {
  readonly operation: string;
  /** What happened, e.g. `conditional check failed` or `eventually consistent`. */
  readonly detail: string;
  /** Units DynamoDB Local reported (`undefined`: it reported none). */
  readonly reported: number | undefined;
  /** Units by the documented rule, which the count uses. */
  readonly documented: number;
}

/** A live capacity count of one client's DynamoDB commands. */
export interface CapacityMeter {
  readonly count: CapacityCount;
  /** Every command whose reported capacity differed from the documented rule, since creation. */
  readonly deviations: readonly CapacityDeviation[];
  /** Commands billed since creation (resets do not clear it), to read the deviations against. */
  readonly commandsMetered: number;
  /** Starts counting from zero again (deviations are kept). */
  reset(): void;
}

/** Units of a write: 1 per KB (1024 bytes) of the larger item, at least 1. */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));
/** Units of a read: 1 per 4 KB strongly consistent, half that eventually consistent; a missing item still costs the minimum. */
export const readUnits = (bytes: number, consistent: boolean): number =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

type Item = Record<string, AttributeValue>;
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

interface SingleItemInput {
  readonly TableName?: string;
  readonly Item?: Item;
  readonly Key?: Item;
  readonly ConsistentRead?: boolean;
  readonly ProjectionExpression?: string;
}

interface CapacityOutput {
  readonly ConsumedCapacity?: { readonly CapacityUnits?: number };
  readonly Item?: Item;
}

/**
 * Adds a middleware to `client` that asks DynamoDB for `ReturnConsumedCapacity: 'TOTAL'` on every
 * command and counts write and read units. Each unit is computed from the items themselves by
 * AWS's documented rules (a write is billed on the larger of the item before and after it, a
 * failed conditional write on the item in the way, a read on the item it finds), read with
 * `reader`, a second client this meter does not count; what DynamoDB Local reports is compared
 * with that, and each difference is kept in {@link CapacityMeter.deviations}. The count is the
 * documented figure, because that is what AWS bills and Local does not report every case (a
 * failed conditional write returns an error, without capacity).
 */
export function meterCapacity(client: DynamoDBClient, reader: DynamoDBClient): CapacityMeter {
  const count: CapacityCount = { wcu: 0, rcu: 0, byOperation: {} };
  const deviations: CapacityDeviation[] = [];
  let commandsMetered = 0;
  const current = async (tableName: string, key: Item): Promise<Item | undefined> =>
    (await reader.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = context.commandName?.replace(/Command$/, '') ?? 'unknown';
      const input = args.input as SingleItemInput;
      count.byOperation[operation] = (count.byOperation[operation] ?? 0) + 1;
      const tableName = input.TableName;
      const keyValue = input.Key ?? (input.Item ? { [PARTITION_KEY]: input.Item[PARTITION_KEY] } : undefined);
      if (!tableName || !keyValue || (!WRITES.has(operation) && operation !== 'GetItem')) {
        throw new Error(`capacity meter: cannot bill ${operation} by the documented rules; only single-item commands are supported`);
      }
      const before = WRITES.has(operation) ? await current(tableName, keyValue) : undefined;
      const metered = { ...args, input: { ...args.input, ReturnConsumedCapacity: 'TOTAL' } };
      const record = (detail: string, reported: number | undefined, documented: number, kind: 'wcu' | 'rcu') => {
        commandsMetered += 1;
        count[kind] += documented;
        if (reported !== documented) deviations.push({ operation, detail, reported, documented });
      };
      let result;
      try {
        result = await next(metered);
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') {
          record('conditional check failed', undefined, writeUnits(before ? itemSize(before) : 0), 'wcu');
        }
        throw error;
      }
      const output = result.output as CapacityOutput;
      const reported = output.ConsumedCapacity?.CapacityUnits;
      if (operation === 'GetItem') {
        const consistent = input.ConsistentRead === true;
        // A read is billed for the whole item even when a projection returns part of it.
        const whole = output.Item && input.ProjectionExpression ? await current(tableName, keyValue) : output.Item;
        const size = whole ? itemSize(whole) : 0;
        record(`${consistent ? 'strongly' : 'eventually'} consistent, ${size} B`, reported, readUnits(size, consistent), 'rcu');
      } else {
        const after = operation === 'DeleteItem' ? undefined : await current(tableName, keyValue);
        const [beforeBytes, afterBytes] = [before ? itemSize(before) : 0, after ? itemSize(after) : 0];
        record(`${beforeBytes} B before, ${afterBytes} B after`, reported, writeUnits(Math.max(beforeBytes, afterBytes)), 'wcu');
      }
      return result;
    },
    { step: 'initialize', name: 'retrySafeBenchCapacityMeter' },
  );
  return {
    count,
    deviations,
    get commandsMetered() {
      return commandsMetered;
    },
    reset() {
      count.wcu = 0;
      count.rcu = 0;
      count.byOperation = {};
    },
  };
}
