// The reference: the same Middy handler without idempotency, writing one item with the SDK client.
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';

const client = new DynamoDBClient({});

/** Bundled by the benchmark: what both libraries' size and load time are measured against. */
export const handler = middy(async (event: { paymentId: string }) => {
  await client.send(new PutItemCommand({ TableName: 'bench', Item: { id: { S: event.paymentId } } }));
  return { paymentId: event.paymentId };
});
