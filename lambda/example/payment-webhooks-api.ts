/**
 * The example's webhook receiver: `POST /webhooks/payments` takes Standard Webhooks deliveries
 * from a payment provider and counts each delivery once, however often the provider retries it.
 * Free of environment reads, so tests build it for their own tables; `payment-webhooks.ts` is
 * the deployed entry point.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStore } from '../core/dynamodb-store.js';
import type { HttpEvent } from '../http/http-event.js';
import type { HttpResponse } from '../http/http-response.js';
import type { WebhookSecret } from '../webhooks/secrets.js';
import { standardWebhooks } from '../webhooks/standard-webhooks.js';
import { webhookIdempotency } from '../webhooks/webhook-idempotency.js';
import type { OrdersTable } from './orders-table.js';
import { json } from './responses.js';

/** The orders-table item that counts the deliveries the handler has processed. */
export const DELIVERY_COUNTER_ID = 'webhooks#payments';

/** Adds one to the count of processed deliveries, and returns the new count. */
async function countDelivery(orders: OrdersTable): Promise<number> {
  const out = await orders.client.send(
    new UpdateItemCommand({
      TableName: orders.tableName,
      Key: { id: { S: DELIVERY_COUNTER_ID } },
      // `processed` is a DynamoDB reserved word, hence the name placeholder.
      UpdateExpression: 'ADD #processed :one',
      ExpressionAttributeNames: { '#processed': 'processed' },
      ExpressionAttributeValues: { ':one': { N: '1' } },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(out.Attributes?.processed?.N ?? 0);
}

function eventType(event: HttpEvent): string {
  const text = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8') : '';
  try {
    const type = (JSON.parse(text) as { type?: unknown }).type;
    return typeof type === 'string' ? type : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Builds the receiver for these tables and this signing secret. */
export function createPaymentWebhooksHandler(orders: OrdersTable, secret: WebhookSecret, idempotencyTableName?: string) {
  const store = new DynamoDBStore({ tableName: idempotencyTableName, client: orders.client });
  return webhookIdempotency(
    async (event: HttpEvent): Promise<HttpResponse> => {
      // The side effect a retry must not repeat: the count goes up once per delivery.
      const processed = await countDelivery(orders);
      return json(200, { received: eventType(event), processed });
    },
    { store, name: 'payment-webhooks', verify: standardWebhooks({ secret }) },
  );
}
