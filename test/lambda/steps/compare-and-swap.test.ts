import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  UpdateItemCommand,
  type AttributeValue,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  IdempotencyError,
  VersionConflictError,
  compareAndSwap,
  type CompareAndSwapInput,
} from '../../../lambda/index.js';
import { createLocalTable, type LocalTable } from '../../support/local-table.js';

let table: LocalTable;

beforeAll(async () => {
  table = await createLocalTable('cas');
});

const skuKey = () => ({ id: { S: `sku-${randomUUID()}` } });
const n = (value: number): AttributeValue => ({ N: String(value) });

async function read(key: Record<string, AttributeValue>) {
  const out = await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }));
  return out.Item;
}

describe('compareAndSwap against DynamoDB Local', () => {
  it('creates an absent item when the expected version is 0, at version 1', async () => {
    const key = skuKey();

    const result = await compareAndSwap({ ...table, key, expectedVersion: 0, set: { stock: n(10) } });

    expect(result.version).toBe(1);
    expect(result.alreadyApplied).toBe(false);
    expect(result.item).toMatchObject({ ...key, stock: n(10), version: n(1) });
    expect(await read(key)).toEqual(result.item);
  });

  it('writes when the stored version matches, and increments it', async () => {
    const key = skuKey();
    await compareAndSwap({ ...table, key, expectedVersion: 0, set: { stock: n(10) } });

    const result = await compareAndSwap({ ...table, key, expectedVersion: 1, set: { stock: n(9) } });

    expect(result.version).toBe(2);
    expect(await read(key)).toMatchObject({ stock: n(9), version: n(2) });
  });

  it('rejects a stale version with VersionConflictError carrying the current item, and writes nothing', async () => {
    const key = skuKey();
    await compareAndSwap({ ...table, key, expectedVersion: 0, set: { stock: n(10) } });
    await compareAndSwap({ ...table, key, expectedVersion: 1, set: { stock: n(9) } });
    const before = await read(key);

    const failure = await compareAndSwap({ ...table, key, expectedVersion: 1, set: { stock: n(0) } }).catch(
      (e: unknown) => e,
    );

    expect(failure).toBeInstanceOf(VersionConflictError);
    expect(failure).toBeInstanceOf(IdempotencyError);
    const conflict = failure as VersionConflictError;
    expect(conflict.expectedVersion).toBe(1);
    expect(conflict.actualVersion).toBe(2);
    expect(conflict.item).toEqual(before);
    expect(await read(key)).toEqual(before);
  });

  it('rejects create-if-absent when the item already exists', async () => {
    const key = skuKey();
    await compareAndSwap({ ...table, key, expectedVersion: 0, set: { stock: n(10) } });

    const failure = await compareAndSwap({ ...table, key, expectedVersion: 0, set: { stock: n(99) } }).catch(
      (e: unknown) => e,
    );

    expect(failure).toBeInstanceOf(VersionConflictError);
    expect((failure as VersionConflictError).actualVersion).toBe(1);
    expect(await read(key)).toMatchObject({ stock: n(10) });
  });

  it('reports an absent item as version 0 with no item when a later version was expected', async () => {
    const failure = await compareAndSwap({ ...table, key: skuKey(), expectedVersion: 3, set: { stock: n(1) } }).catch(
      (e: unknown) => e,
    );

    expect(failure).toBeInstanceOf(VersionConflictError);
    expect((failure as VersionConflictError).actualVersion).toBe(0);
    expect((failure as VersionConflictError).item).toBeUndefined();
  });

  it('treats an item without a version attribute as version 0', async () => {
    const key = skuKey();
    await compareAndSwap({ ...table, key, expectedVersion: 0, set: { stock: n(5) }, versionAttribute: 'other' });

    const result = await compareAndSwap({ ...table, key, expectedVersion: 0, set: { stock: n(4) } });

    expect(result.version).toBe(1);
    expect(await read(key)).toMatchObject({ stock: n(4), version: n(1), other: n(1) });
  });

  it('lets exactly one of many concurrent writers win each version', async () => {
    const key = skuKey();
    const rounds = 8;
    const writers = 12;

    for (let version = 0; version < rounds; version++) {
      const outcomes = await Promise.allSettled(
        Array.from({ length: writers }, (_, writer) =>
          compareAndSwap({ ...table, key, expectedVersion: version, set: { winner: n(writer) } }),
        ),
      );
      const winners = outcomes.filter((o) => o.status === 'fulfilled');
      const losers = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(winners).toHaveLength(1);
      for (const loser of losers) {
        expect(loser.reason).toBeInstanceOf(VersionConflictError);
        expect((loser.reason as VersionConflictError).actualVersion).toBe(version + 1);
      }
    }

    expect(await read(key)).toMatchObject({ version: n(rounds) });
  });

  it('loses no update when concurrent writers re-read and retry on conflict', async () => {
    const key = skuKey();
    await compareAndSwap({ ...table, key, expectedVersion: 0, set: { count: n(0) } });
    const writers = 16;

    const increment = async (): Promise<number> => {
      for (let attempts = 1; ; attempts++) {
        const item = await read(key);
        try {
          await compareAndSwap({
            ...table,
            key,
            expectedVersion: Number(item?.version?.N),
            set: { count: n(Number(item?.count?.N) + 1) },
          });
          return attempts;
        } catch (error) {
          if (!(error instanceof VersionConflictError)) throw error;
        }
      }
    };
    const attempts = await Promise.all(Array.from({ length: writers }, increment));

    expect(await read(key)).toMatchObject({ count: n(writers), version: n(writers + 1) });
    // Contention happened: the test exercised the conflict path, not only a lucky sequence.
    expect(attempts.some((a) => a > 1)).toBe(true);
  });

  it('applies an update expression with or without a SET clause of its own', async () => {
    const key = skuKey();
    await compareAndSwap({ ...table, key, expectedVersion: 0, set: { stock: n(10), sold: n(0) } });

    await compareAndSwap({
      ...table,
      key,
      expectedVersion: 1,
      update: { expression: 'SET #stock = #stock - :n ADD sold :n', names: { '#stock': 'stock' }, values: { ':n': n(3) } },
    });
    const added = await compareAndSwap({
      ...table,
      key,
      expectedVersion: 2,
      update: { expression: 'ADD sold :n', values: { ':n': n(1) } },
    });

    expect(added.item).toMatchObject({ stock: n(7), sold: n(4), version: n(3) });
  });

  it('recognizes its own write by writeId as already applied, but not another writer\'s or an older one', async () => {
    const key = skuKey();
    await compareAndSwap({ ...table, key, expectedVersion: 0, set: { stock: n(10) }, writeId: 'order-a' });

    const again = await compareAndSwap({ ...table, key, expectedVersion: 0, set: { stock: n(10) }, writeId: 'order-a' });
    const other = compareAndSwap({ ...table, key, expectedVersion: 0, set: { stock: n(10) }, writeId: 'order-b' });

    expect(again).toMatchObject({ version: 1, alreadyApplied: true });
    await expect(other).rejects.toBeInstanceOf(VersionConflictError);
    await compareAndSwap({ ...table, key, expectedVersion: 1, set: { stock: n(9) }, writeId: 'order-c' });
    await expect(
      compareAndSwap({ ...table, key, expectedVersion: 0, set: { stock: n(10) }, writeId: 'order-a' }),
    ).rejects.toBeInstanceOf(VersionConflictError);
    expect(await read(key)).toMatchObject({ stock: n(9), version: n(2), versionWriteId: { S: 'order-c' } });
  });
});

describe('compareAndSwap requests and faults', () => {
  // Mock this one client, not the class: the tests above talk to DynamoDB Local.
  const client = new DynamoDBClient({ region: 'us-east-1' });
  const ddb = mockClient(client);
  const base = { client, tableName: 'inventory', key: { sku: { S: 'sku-1' } } };

  it('sends one UpdateItem with the version condition, the increment and both return-value settings', async () => {
    ddb.reset();
    ddb.on(UpdateItemCommand).resolves({ Attributes: { sku: { S: 'sku-1' }, version: n(8) } });

    const result = await compareAndSwap({ ...base, expectedVersion: 7, set: { stock: n(4) }, writeId: 'w' });

    expect(result).toEqual({ version: 8, item: { sku: { S: 'sku-1' }, version: n(8) }, alreadyApplied: false });
    expect(ddb.calls()).toHaveLength(1);
    expect(ddb.commandCalls(UpdateItemCommand)[0].args[0].input).toEqual({
      TableName: 'inventory',
      Key: { sku: { S: 'sku-1' } },
      UpdateExpression: 'SET #rsCasVersion = :rsCasNext, #rsCasWriteId = :rsCasWriter, #rsCasA0 = :rsCasA0',
      ConditionExpression: '#rsCasVersion = :rsCasExpected',
      ExpressionAttributeNames: { '#rsCasVersion': 'version', '#rsCasWriteId': 'versionWriteId', '#rsCasA0': 'stock' },
      ExpressionAttributeValues: {
        ':rsCasNext': n(8),
        ':rsCasWriter': { S: 'w' },
        ':rsCasA0': n(4),
        ':rsCasExpected': n(7),
      },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('conditions create-if-absent on the version attribute not existing', async () => {
    ddb.reset();
    ddb.on(UpdateItemCommand).resolves({ Attributes: {} });

    await compareAndSwap({ ...base, expectedVersion: 0, versionAttribute: 'rev' });

    const input = ddb.commandCalls(UpdateItemCommand)[0].args[0].input;
    expect(input.ConditionExpression).toBe('attribute_not_exists(#rsCasVersion)');
    expect(input.ExpressionAttributeNames?.['#rsCasVersion']).toBe('rev');
    expect(input.ExpressionAttributeValues?.[':rsCasExpected']).toBeUndefined();
  });

  it('reports success when the SDK retried a write whose first response was lost', async () => {
    ddb.reset();
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      // The first attempt was applied; the retry finds the item at the next version, with our write id.
      const writer = input.ExpressionAttributeValues?.[':rsCasWriter'];
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: { sku: { S: 'sku-1' }, version: n(8), versionWriteId: writer ?? { S: '' } },
      });
    });

    const result = await compareAndSwap({ ...base, expectedVersion: 7, set: { stock: n(4) } });

    expect(result.alreadyApplied).toBe(true);
    expect(result.version).toBe(8);
  });

  it('propagates other DynamoDB errors unchanged', async () => {
    ddb.reset();
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    ddb.on(UpdateItemCommand).rejects(throttled);

    await expect(compareAndSwap({ ...base, expectedVersion: 1 })).rejects.toBe(throttled);
  });

  const bad: [string, Partial<CompareAndSwapInput>, RegExp][] = [
    ['a negative version', { expectedVersion: -1 }, /expectedVersion must be a whole number >= 0.*got -1/],
    ['a fractional version', { expectedVersion: 1.5 }, /expectedVersion must be a whole number/],
    ['both set and update', { set: { a: n(1) }, update: { expression: 'SET a = :a' } }, /not both/],
    ['a key attribute in set', { set: { sku: { S: 'other' } } }, /must not change the key attribute "sku"/],
    ['the version in set', { set: { version: n(9) } }, /must not write "version"/],
    ['a reserved placeholder', { update: { expression: 'SET a = :rsCasNext', values: { ':rsCasNext': n(1) } } }, /reserved/],
    ['an empty update expression', { update: { expression: ' ' } }, /non-empty update expression/],
    ['no table name', { tableName: '' }, /tableName must be a non-empty string/],
    ['an empty key', { key: {} }, /primary key/],
  ];
  for (const [what, input, message] of bad) {
    it(`rejects ${what} with a clear error before sending anything`, async () => {
      ddb.reset();

      const failure = await compareAndSwap({ ...base, expectedVersion: 1, ...input }).catch((e: unknown) => e);

      expect(failure).toBeInstanceOf(IdempotencyError);
      expect((failure as Error).message).toMatch(message);
      expect(ddb.calls()).toHaveLength(0);
    });
  }
});
