import { isDeepStrictEqual } from 'node:util';
import { createIdempotencyTable, localClient } from '../scripts/dynamodb-local.js';
import { meterCapacity, type CapacityDeviation } from './capacity-meter.js';
import { benchContext, contender, LIBRARIES, paymentEvent, type Library, type PaymentResult } from './contenders.js';
import { orderResult, randomBase64Result, smallResult } from './payloads.js';

/** On-demand pricing: a write request unit costs five read request units. */
export const WRITE_TO_READ_PRICE = 5;

/** The results the cost scenarios return, each run as a first execution, then a replay. */
export const COST_RESULTS = {
  small: { label: '100 B', build: () => smallResult(100) },
  order: { label: '100 KB order (JSON)', build: () => orderResult() },
  random: { label: '100 KB random base64', build: () => randomBase64Result() },
} as const;
/** One of {@link COST_RESULTS}. */
export type CostResult = keyof typeof COST_RESULTS;

/** What one call consumed. */
export interface CallCost {
  readonly wcu: number;
  readonly rcu: number;
  /** {@link WRITE_TO_READ_PRICE} × WCU + RCU: the price in read units. */
  readonly cost: number;
  readonly requests: number;
  /** Commands, e.g. `PutItem+UpdateItem`. */
  readonly operations: string;
}

/** A first execution and a replay of one result. */
export interface ScenarioCost {
  readonly firstExecution: CallCost;
  readonly replay: CallCost;
}

/** One library's costs, and where DynamoDB Local's reported capacity differed from the documented rules. */
export interface CostFigures {
  readonly scenarios: Record<CostResult, ScenarioCost>;
  /** JSON bytes of each result. */
  readonly resultBytes: Record<CostResult, number>;
  readonly deviations: readonly CapacityDeviation[];
  /** Commands the meter billed, to read the deviations against. */
  readonly commandsMetered: number;
}

/** Runs every cost scenario through `library` against DynamoDB Local, metering each command. */
export async function measureCost(library: Library, endpoint: string): Promise<CostFigures> {
  const [client, reader] = [localClient(endpoint), localClient(endpoint)];
  const tableName = `bench-cost-${library}-${Date.now()}`;
  await createIdempotencyTable(client, tableName);
  const meter = meterCapacity(client, reader);
  const scenarios = {} as Record<CostResult, ScenarioCost>;
  const resultBytes = {} as Record<CostResult, number>;

  async function call(result: unknown, key: string, scenario: string): Promise<CallCost> {
    // The scenarios return other shapes than a payment receipt; the libraries store whatever
    // the handler returns, so the handler's declared result type does not matter here.
    const handler = contender(library, { client, tableName, work: async () => result as PaymentResult });
    meter.reset();
    const returned = await handler(paymentEvent(key), benchContext());
    // Deep equality, not JSON text: Powertools replays the keys in another order.
    if (!isDeepStrictEqual(returned, result)) {
      throw new Error(`${library}: the ${scenario} returned something else than the handler result: ${JSON.stringify(returned).slice(0, 200)}`);
    }
    const { wcu, rcu, byOperation } = meter.count;
    const operations = Object.entries(byOperation).map(([op, n]) => (n > 1 ? `${n}×${op}` : op)).join('+') || 'none';
    const requests = Object.values(byOperation).reduce((sum, n) => sum + n, 0);
    return { wcu, rcu, cost: WRITE_TO_READ_PRICE * wcu + rcu, requests, operations };
  }

  for (const name of Object.keys(COST_RESULTS) as CostResult[]) {
    const result = COST_RESULTS[name].build();
    resultBytes[name] = Buffer.byteLength(JSON.stringify(result));
    const key = `cost-${name}`;
    const firstExecution = await call(result, key, `${name} first execution`);
    const replay = await call(result, key, `${name} replay`);
    scenarios[name] = { firstExecution, replay };
  }
  client.destroy();
  reader.destroy();
  return { scenarios, resultBytes, deviations: meter.deviations, commandsMetered: meter.commandsMetered };
}

/** Both libraries' costs, one after the other, each on its own table and clients. */
export async function measureCosts(endpoint: string): Promise<Record<Library, CostFigures>> {
  const out = {} as Record<Library, CostFigures>;
  for (const library of LIBRARIES) out[library] = await measureCost(library, endpoint);
  return out;
}
