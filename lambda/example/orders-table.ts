import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** An order as stored and returned. */
export interface Order {
  readonly id: string;
  readonly amount: number;
  readonly currency: string;
  readonly createdAt: string;
}

/** The orders table (partition key `id`, a string), through the raw DynamoDB client. */
export interface OrdersTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/** Writes a new order; the condition makes an id collision an error rather than an overwrite. */
export async function putOrder(table: OrdersTable, order: Order): Promise<void> {
  await table.client.send(
    new PutItemCommand({
      TableName: table.tableName,
      Item: {
        id: { S: order.id },
        amount: { N: String(order.amount) },
        currency: { S: order.currency },
        createdAt: { S: order.createdAt },
      },
      ConditionExpression: 'attribute_not_exists(id)',
    }),
  );
}

/** Reads one order, or `undefined` when there is none with that id. */
export async function getOrder(table: OrdersTable, id: string): Promise<Order | undefined> {
  const out = await table.client.send(
    new GetItemCommand({ TableName: table.tableName, Key: { id: { S: id } }, ConsistentRead: true }),
  );
  const item = out.Item;
  if (!item) return undefined;
  return {
    id: item.id?.S ?? id,
    amount: Number(item.amount?.N),
    currency: item.currency?.S ?? '',
    createdAt: item.createdAt?.S ?? '',
  };
}
