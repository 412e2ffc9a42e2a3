import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDBStore, makeIdempotent, step } from '../../../lambda/index.js';
import { lambdaContext } from '../../support/lambda-context.js';

const ddb = mockClient(DynamoDBClient);

afterEach(() => ddb.reset());

describe('what the runtime sends DynamoDB, for a global table with strong consistency (MRSC)', () => {
  it('decides only by conditional writes and strongly consistent reads, with no transactions, scans, queries or batches', async () => {
    // GIVEN an empty table: every write succeeds, every read finds nothing
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({});
    ddb.on(GetItemCommand).resolves({});
    const store = new DynamoDBStore({ tableName: 'idempotency', client: new DynamoDBClient({ region: 'us-east-1' }) });
    const handler = makeIdempotent(
      async () => {
        await step('charge', () => 'charged');
        await step('email', () => 'sent', { atMostOnce: true });
        return 'done';
      },
      { store, name: 'orders', key: (e: { k: string }) => e.k },
    );

    // WHEN one request runs its handler and both steps
    await handler({ k: 'order-1' }, lambdaContext());

    // THEN every read is strongly consistent, and every write is conditional
    const calls = ddb.calls().map((call) => call.args[0]);
    const names = calls.map((command) => command.constructor.name);
    expect(new Set(names)).toEqual(new Set(['PutItemCommand', 'GetItemCommand', 'UpdateItemCommand']));
    for (const command of calls) {
      const input = command.input as { ConsistentRead?: boolean; ConditionExpression?: string };
      if (command instanceof GetItemCommand) expect(input.ConsistentRead).toBe(true);
      else expect(input.ConditionExpression).toEqual(expect.any(String));
    }
  });
});
