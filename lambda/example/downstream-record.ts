import { UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { OrdersTable } from './orders-table.js';

/** A DynamoDB item, as the raw client reads and writes it. */
export type Item = Record<string, AttributeValue>;

/** The attribute counting every call a fake downstream service received for one key. */
export const CALLS_ATTRIBUTE = 'calls';

/**
 * What the example's fake downstream services (payments, mail, fulfilment) do with a request:
 * the first call with an id writes `fields`, every later one keeps them and gets them back, as a
 * service that deduplicates by idempotency key does. Every call is counted in `calls`, so tests
 * see a repeated request even when its effect was not repeated. One `UpdateItem`, atomic, so
 * concurrent first calls agree on one outcome.
 */
export async function recordOnce(table: OrdersTable, id: string, fields: Item): Promise<Item> {
  const names: Record<string, string> = { '#calls': CALLS_ATTRIBUTE };
  const values: Item = { ':one': { N: '1' } };
  const sets = Object.entries(fields).map(([attribute, value], index) => {
    names[`#a${index}`] = attribute;
    values[`:a${index}`] = value;
    return `#a${index} = if_not_exists(#a${index}, :a${index})`;
  });
  const out = await table.client.send(
    new UpdateItemCommand({
      TableName: table.tableName,
      Key: { id: { S: id } },
      UpdateExpression: `SET ${sets.join(', ')} ADD #calls :one`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    }),
  );
  return out.Attributes ?? {};
}
