import { randomUUID } from 'node:crypto';
import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { createIdempotencyTable, createOrdersTable, localClient } from '../../scripts/dynamodb-local.js';
import { countRequests, type RequestCounter } from '../../bench/request-counter.js';
import { DynamoDBStore } from '../../lambda/index.js';

/** A fresh table in the run's DynamoDB Local, with a store on it. */
export interface LocalTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly store: DynamoDBStore;
  /** Reads one raw item, strongly consistent. */
  getItem(id: string): Promise<Record<string, AttributeValue> | undefined>;
}

/** Creates a uniquely named idempotency table, so test files never share state. */
export async function createLocalTable(prefix = 'idem'): Promise<LocalTable> {
  const client = localClient(inject('dynamoDBEndpoint'));
  const tableName = `${prefix}-${randomUUID()}`;
  await createIdempotencyTable(client, tableName);
  return {
    client,
    tableName,
    store: new DynamoDBStore({ tableName, client }),
    async getItem(id) {
      const out = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }),
      );
      return out.Item;
    },
  };
}

/** Creates the example app's orders table next to `table`, in the same DynamoDB Local; returns its name. */
export async function createLocalOrdersTable(table: LocalTable): Promise<string> {
  const tableName = `${table.tableName}-orders`;
  await createOrdersTable(table.client, tableName);
  return tableName;
}

/**
 * A store on `table` that sends through a client of its own with a request counter on it, so
 * the count holds the store's requests only (none of the test's own reads).
 */
export function countedStore(table: LocalTable): { store: DynamoDBStore; counter: RequestCounter } {
  const client = localClient(inject('dynamoDBEndpoint'));
  const counter = countRequests(client);
  return { store: new DynamoDBStore({ tableName: table.tableName, client }), counter };
}
