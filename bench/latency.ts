import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { createIdempotencyTable, localClient } from '../scripts/dynamodb-local.js';
import { benchContext, capture, contender, LIBRARIES, paymentEvent, type BenchHandler, type Library, type PaymentEvent } from './contenders.js';
import { summarize, type Summary } from './stats.js';

/** Milliseconds per call against DynamoDB Local. */
export interface LatencyFigures {
  readonly firstExecution: Summary;
  readonly replay: Summary;
}

/** Latency of both libraries and of bare handlers doing one and two `PutItem`s, calls interleaved. */
export interface LatencyResult {
  readonly libraries: Record<Library, LatencyFigures>;
  /** A handler without idempotency that writes one item: one round trip, the floor of a replay. */
  readonly barePutItem: Summary;
  /** The same handler writing twice, one call after the other: the floor of a first execution. */
  readonly bareTwoPutItems: Summary;
  /**
   * One `PutItem` whose condition fails on an existing item, returning it (`ALL_OLD`): the round
   * trip a replay makes, which DynamoDB Local (and the SDK's error path) may serve slower than a
   * successful write.
   */
  readonly bareRejectedPutItem: Summary;
}

async function ms(call: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await call();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Runs `calls` first executions and `calls` replays per library, after `warmupCalls` of each. */
export async function measureLatency(endpoint: string, calls: number, warmupCalls: number): Promise<LatencyResult> {
  const stamp = Date.now();
  const handlers = {} as Record<Library, BenchHandler>;
  // A client each, as each function would have its own: no library sends on sockets the other left.
  const clients = [localClient(endpoint), localClient(endpoint), localClient(endpoint)];
  for (const [i, library] of LIBRARIES.entries()) {
    const tableName = `bench-latency-${library}-${stamp}`;
    await createIdempotencyTable(clients[i], tableName);
    handlers[library] = contender(library, { client: clients[i], tableName });
  }
  const client = clients[LIBRARIES.length];
  const bareTable = `bench-latency-bare-${stamp}`;
  await createIdempotencyTable(client, bareTable);
  const put = (event: PaymentEvent) =>
    client.send(new PutItemCommand({ TableName: bareTable, Item: { id: { S: event.paymentId }, amount: { N: String(event.amountCents) } } }));
  const bare = middy(async (event: PaymentEvent) => {
    await put(event);
    return capture(event);
  }) as unknown as BenchHandler;
  const rejected = middy(async (event: PaymentEvent) => {
    try {
      await client.send(
        new PutItemCommand({
          TableName: bareTable,
          Item: { id: { S: event.paymentId } },
          ConditionExpression: 'attribute_not_exists(id)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
    return capture(event);
  }) as unknown as BenchHandler;
  // Two round trips in sequence, as a claim and a completion are: what no library can go under.
  const bareTwice = middy(async (event: PaymentEvent) => {
    await put(event);
    await put(event);
    return capture(event);
  }) as unknown as BenchHandler;

  const samples = {
    first: { 'retry-safe': [] as number[], powertools: [] as number[] },
    replay: { 'retry-safe': [] as number[], powertools: [] as number[] },
    bare: [] as number[],
    bareTwice: [] as number[],
    bareRejected: [] as number[],
  };
  for (let i = 0; i < warmupCalls + calls; i++) {
    const record = i >= warmupCalls;
    const order = i % 2 === 0 ? LIBRARIES : [...LIBRARIES].reverse();
    for (const library of order) {
      const key = `lat-${i}`;
      // A context object per invocation, as the Lambda runtime hands each its own.
      const [firstContext, replayContext] = [benchContext(), benchContext()];
      const first = await ms(() => handlers[library](paymentEvent(key), firstContext));
      const replay = await ms(() => handlers[library](paymentEvent(key), replayContext));
      if (record) {
        samples.first[library].push(first);
        samples.replay[library].push(replay);
      }
    }
    const [bareContext, bareTwiceContext] = [benchContext(), benchContext()];
    const floors = [
      async () => {
        const reference = await ms(() => bare(paymentEvent(`bare-${i}`), bareContext));
        if (record) samples.bare.push(reference);
      },
      async () => {
        const reference = await ms(() => bareTwice(paymentEvent(`bare-twice-${i}`), bareTwiceContext));
        if (record) samples.bareTwice.push(reference);
      },
    ];
    for (const floor of i % 2 === 0 ? floors : [...floors].reverse()) await floor();
    // On the item the one-PutItem floor has just written, as a replay meets its record.
    const rejectedContext = benchContext();
    const againstExisting = await ms(() => rejected(paymentEvent(`bare-${i}`), rejectedContext));
    if (record) samples.bareRejected.push(againstExisting);
  }
  for (const each of clients) each.destroy();
  const figures = (library: Library): LatencyFigures => ({
    firstExecution: summarize(samples.first[library]),
    replay: summarize(samples.replay[library]),
  });
  return {
    libraries: { 'retry-safe': figures('retry-safe'), powertools: figures('powertools') },
    barePutItem: summarize(samples.bare),
    bareTwoPutItems: summarize(samples.bareTwice),
    bareRejectedPutItem: summarize(samples.bareRejected),
  };
}
