import { beforeAll, describe, expect, it } from 'vitest';
import type { RequestCounter } from '../../../bench/request-counter.js';
import { makeIdempotentBatch, type DynamoDBStore } from '../../../lambda/index.js';
import { countedStore, createLocalTable } from '../../support/local-table.js';
import { lambdaContext } from '../../support/lambda-context.js';
import { batchOf, redelivered, sqsRecord } from './events.js';

describe('DynamoDB requests per batch record, counted on a real client against DynamoDB Local', () => {
  let store: DynamoDBStore;
  let counter: RequestCounter;
  beforeAll(async () => {
    ({ store, counter } = countedStore(await createLocalTable('batch-counts')));
  });

  it('sends two requests per new record (claim, completion) and one per replayed record (claim)', async () => {
    let runs = 0;
    const handler = makeIdempotentBatch(async () => ++runs, { store, name: 'batch-counts' });
    const records = Array.from({ length: 10 }, (_, i) => sqsRecord(`order-${i}`));

    counter.reset();
    await handler(batchOf(records), lambdaContext());
    const fresh = { ...counter.count.byOperation };
    counter.reset();
    await handler(batchOf(records.map(redelivered)), lambdaContext());
    const replayed = { ...counter.count.byOperation };

    expect(fresh).toEqual({ PutItem: 20 });
    expect(replayed).toEqual({ PutItem: 10 });
    expect(runs).toBe(10);
  });
});
