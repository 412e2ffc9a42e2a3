import { GetItemCommand, PutItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { inject, beforeEach, describe, expect, it } from 'vitest';
import { meterCapacity, type CapacityMeter } from '../../bench/capacity-meter.js';
import { localClient } from '../../scripts/dynamodb-local.js';
import { createLocalTable, type LocalTable } from '../support/local-table.js';

// `id` (2 bytes) + `id` value (1 byte) + `d` (1 byte) + the string: an item of exactly `bytes`.
const item = (bytes: number) => ({ id: { S: 'a' }, d: { S: 'x'.repeat(bytes - 4) } });

describe('the bench capacity meter, against DynamoDB Local', () => {
  let table: LocalTable;
  let meter: CapacityMeter;
  beforeEach(async () => {
    table = await createLocalTable('meter');
    meter = meterCapacity(table.client, localClient(inject('dynamoDBEndpoint')));
  });
  const put = (bytes: number, condition?: string) =>
    table.client.send(new PutItemCommand({ TableName: table.tableName, Item: item(bytes), ConditionExpression: condition }));

  it('bills a write 1 WCU per KB of the item, rounded up', async () => {
    await put(1024);
    await put(1025);

    expect(meter.count.wcu).toBe(1 + 2);
    expect(meter.deviations).toEqual([]);
  });

  it('bills an overwrite and an update for the larger of the item before and after', async () => {
    await put(5000);
    meter.reset();
    await put(100);
    await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { id: { S: 'a' } },
        UpdateExpression: 'SET d = :d',
        ExpressionAttributeValues: { ':d': { S: 'y'.repeat(3000) } },
      }),
    );

    expect(meter.count.wcu).toBe(5 + 3);
  });

  it('bills a failed conditional write for the item in its way, which DynamoDB Local does not report', async () => {
    await put(10_000);
    meter.reset();

    await expect(put(100, 'attribute_not_exists(id)')).rejects.toThrow(/conditional/i);
    expect(meter.count.wcu).toBe(10);
    expect(meter.deviations).toContainEqual(expect.objectContaining({ operation: 'PutItem', reported: undefined, documented: 10 }));
  });

  it('bills an eventually consistent read half a strongly consistent one, 4 KB a unit, a missing item the minimum', async () => {
    await put(5000);
    meter.reset();
    const get = (id: string, consistent: boolean) =>
      table.client.send(new GetItemCommand({ TableName: table.tableName, Key: { id: { S: id } }, ConsistentRead: consistent }));
    await get('a', false);
    await get('a', true);
    await get('missing', false);

    expect(meter.count.rcu).toBe(1 + 2 + 0.5);
    expect(meter.count.byOperation).toEqual({ GetItem: 3 });
  });

  it('agrees with what DynamoDB Local reports for successful single-item commands', async () => {
    await put(5000);
    await put(100);
    await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: { id: { S: 'a' } } }));

    expect(meter.deviations).toEqual([]);
    expect(meter.commandsMetered).toBe(3);
  });

  it('rejects a command it cannot bill by the single-item rules', async () => {
    await expect(table.client.send(new ScanCommand({ TableName: table.tableName }))).rejects.toThrow(/cannot bill Scan/);
  });
});
