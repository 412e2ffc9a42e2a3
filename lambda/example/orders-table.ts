import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** An order as stored and returned. */
export interface Order {
  readonly id: string;
  /** Charged, stock taken, saved: every order stored is confirmed. */
  readonly status: 'confirmed';
  readonly amount: number;
  readonly currency: string;
  readonly sku: string;
  readonly quantity: number;
  readonly email: string;
  /** The payment provider's charge. */
  readonly chargeId: string;
  readonly createdAt: string;
}

/**
 * The orders table (partition key `id`, a string), through the raw DynamoDB client. Orders have
 * UUIDs as ids; the example's fake services and its inventory keep their records in the same
 * table under prefixed ids (`charge#…`, `email#…`, `inventory#<sku>`), so it needs no other table.
 */
export interface OrdersTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/**
 * Writes an order. Writing the same order again (a re-run after a crash before its step was
 * recorded) is allowed; the condition makes an id collision with another order an error.
 */
export async function putOrder(table: OrdersTable, order: Order): Promise<void> {
  await table.client.send(
    new PutItemCommand({
      TableName: table.tableName,
      Item: {
        id: { S: order.id },
        status: { S: order.status },
        amount: { N: String(order.amount) },
        currency: { S: order.currency },
        sku: { S: order.sku },
        quantity: { N: String(order.quantity) },
        email: { S: order.email },
        chargeId: { S: order.chargeId },
        createdAt: { S: order.createdAt },
      },
      ConditionExpression: 'attribute_not_exists(id) OR chargeId = :chargeId',
      ExpressionAttributeValues: { ':chargeId': { S: order.chargeId } },
    }),
  );
}

/** Reads one order, or `undefined` when there is none with that id. */
export async function getOrder(table: OrdersTable, id: string): Promise<Order | undefined> {
  const out = await table.client.send(
    new GetItemCommand({ TableName: table.tableName, Key: { id: { S: id } }, ConsistentRead: true }),
  );
  const item = out.Item;
  // Only orders: the fakes' and the inventory's records share the table under prefixed ids.
  if (!item || id.includes('#')) return undefined;
  return {
    id: item.id?.S ?? id,
    status: 'confirmed',
    amount: Number(item.amount?.N),
    currency: item.currency?.S ?? '',
    sku: item.sku?.S ?? '',
    quantity: Number(item.quantity?.N),
    email: item.email?.S ?? '',
    chargeId: item.chargeId?.S ?? '',
    createdAt: item.createdAt?.S ?? '',
  };
}
