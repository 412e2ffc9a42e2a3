import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createIdempotencyTable, localClient } from '../scripts/dynamodb-local.js';
import { benchContext, capture, contender, paymentEvent, type Library, type PaymentEvent } from './contenders.js';
import { itemSize } from './item-size.js';
import { countRequests, type RequestCount } from './request-counter.js';

/** DynamoDB requests (and bytes) one library sends per call, scenario by scenario. */
export interface RequestFigures {
  readonly firstExecution: number;
  readonly replay: number;
  readonly mismatch: number;
  readonly throws: number;
  /** A replay with the library's in-memory cache on, the record completed by this container. */
  readonly cachedReplay: number;
  /** Serialized request bodies of a first execution. */
  readonly firstExecutionBodyBytes: number;
  /** The record left in the table after a first execution, by DynamoDB's item-size rules. */
  readonly itemBytesAtRest: number;
  /** Attributes of that record, for the report. */
  readonly attributesAtRest: readonly string[];
  /** Whether the original request, retried after the mismatch, ran the handler a second time. */
  readonly ranAgainAfterMismatch: boolean;
  /** Operations per scenario, e.g. `PutItem+UpdateItem`. */
  readonly operations: Readonly<Record<string, string>>;
}

function operations(count: RequestCount): string {
  return Object.entries(count.byOperation)
    .map(([op, n]) => (n > 1 ? `${n}×${op}` : op))
    .join('+') || 'none';
}

/** Runs each scenario once through `library` against DynamoDB Local and counts what it sent. */
export async function measureRequests(library: Library, endpoint: string): Promise<RequestFigures> {
  const client = localClient(endpoint);
  const tableName = `bench-requests-${library}-${Date.now()}`;
  await createIdempotencyTable(client, tableName);
  const counter = countRequests(client);
  const context = benchContext();
  let runs = 0;
  const work = (event: PaymentEvent) => {
    runs += 1;
    return capture(event);
  };
  const handler = contender(library, { client, tableName, work });
  const cachedHandler = contender(library, { client, tableName, cache: true });
  const ops: Record<string, string> = {};

  async function count(scenario: string, call: () => Promise<unknown>, expectError = false): Promise<RequestCount> {
    counter.reset();
    let failed = false;
    try {
      await call();
    } catch {
      failed = true;
    }
    if (failed !== expectError) {
      throw new Error(`${library}: the ${scenario} scenario ${failed ? 'threw' : 'did not throw'} unexpectedly`);
    }
    ops[scenario] = operations(counter.count);
    return { ...counter.count, byOperation: { ...counter.count.byOperation } };
  }

  const first = await count('first execution', () => handler(paymentEvent('req-1'), context));
  const replay = await count('replay', () => handler(paymentEvent('req-1'), context));
  const mismatch = await count('mismatch', () => handler(paymentEvent('req-1', 1), context), true);
  const runsBefore = runs;
  await handler(paymentEvent('req-1'), context);
  const ranAgainAfterMismatch = runs > runsBefore;
  const throws = await count('throws', () => handler(paymentEvent('req-2', 0, true), context), true);
  await cachedHandler(paymentEvent('req-3'), context);
  const cached = await count('cached replay', () => cachedHandler(paymentEvent('req-3'), context));

  // Left in the table: the records of `req-1` and `req-3`, both completed first executions.
  const item = (await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items?.[0] ?? {};
  client.destroy();
  return {
    firstExecution: first.requests,
    replay: replay.requests,
    mismatch: mismatch.requests,
    throws: throws.requests,
    cachedReplay: cached.requests,
    firstExecutionBodyBytes: first.bodyBytes,
    itemBytesAtRest: itemSize(item),
    attributesAtRest: Object.keys(item).sort(),
    ranAgainAfterMismatch,
    operations: ops,
  };
}
