import { createIdempotencyTable, localClient } from '../scripts/dynamodb-local.js';
import { benchContext, capture, contender, type Library, type PaymentEvent } from './contenders.js';
import { countRequests } from './request-counter.js';

/** What a storm of concurrent invocations of one new key did, over many keys. */
export interface StormFigures {
  readonly keys: number;
  readonly concurrency: number;
  /** How many times each key's handler ran, one entry per key. */
  readonly runsPerKey: readonly number[];
  /** Invocations that returned a result (the run itself, or a replay of it). */
  readonly succeeded: number;
  /** Invocations rejected because the key was in progress. */
  readonly inProgress: number;
  /** Any other failure, by error name. */
  readonly otherErrors: Readonly<Record<string, number>>;
  /** DynamoDB requests over the whole storm, by operation. */
  readonly requests: Readonly<Record<string, number>>;
}

const IN_PROGRESS_ERRORS = new Set(['IdempotencyInProgressError', 'IdempotencyAlreadyInProgressError']);

/**
 * For each of `keys` new keys, fires `concurrency` invocations at once and counts how often
 * the handler ran. The handler takes `workMs`, so later arrivals meet an in-progress claim.
 */
export async function measureStorm(
  library: Library,
  endpoint: string,
  options: { keys: number; concurrency: number; workMs: number },
): Promise<StormFigures> {
  const client = localClient(endpoint);
  const tableName = `bench-storm-${library}-${Date.now()}`;
  await createIdempotencyTable(client, tableName);
  const counter = countRequests(client);
  const runs = new Map<string, number>();
  const work = async (event: PaymentEvent) => {
    runs.set(event.paymentId, (runs.get(event.paymentId) ?? 0) + 1);
    await new Promise((resolve) => setTimeout(resolve, options.workMs));
    return capture(event);
  };
  const handler = contender(library, { client, tableName, work });
  let succeeded = 0;
  let inProgress = 0;
  const otherErrors: Record<string, number> = {};
  const runsPerKey: number[] = [];
  for (let k = 0; k < options.keys; k++) {
    const key = `storm-${k}`;
    const outcomes = await Promise.allSettled(
      Array.from({ length: options.concurrency }, () => handler(stormEvent(key), benchContext())),
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') succeeded += 1;
      else {
        const name = (outcome.reason as Error | undefined)?.name ?? 'unknown';
        if (IN_PROGRESS_ERRORS.has(name)) inProgress += 1;
        else otherErrors[name] = (otherErrors[name] ?? 0) + 1;
      }
    }
    runsPerKey.push(runs.get(key) ?? 0);
  }
  client.destroy();
  const requests = { ...counter.count.byOperation };
  return { keys: options.keys, concurrency: options.concurrency, runsPerKey, succeeded, inProgress, otherErrors, requests };
}

function stormEvent(paymentId: string): PaymentEvent {
  return { paymentId, amountCents: 500, currency: 'EUR', customer: { id: 'c', email: 'e@example.com', country: 'IE' }, lines: [], metadata: {} };
}
