// makeIdempotent with a step, no Middy: neither @middy/core nor @types/aws-lambda is installed.
import { randomUUID } from 'node:crypto';
import { DynamoDBStore, makeIdempotent, step, type LambdaContext } from 'retry-safe';

interface OrderEvent {
  readonly orderId: string;
}

let runs = 0;

/** How many times the handler body ran in this process. */
export const sideEffects = (): number => runs;

export const handler = makeIdempotent(
  async (event: OrderEvent, context: LambdaContext) => {
    runs += 1;
    const receipt = await step('charge', async () => randomUUID());
    return { orderId: event.orderId, receipt, function: context.functionName };
  },
  { store: new DynamoDBStore(), key: (event) => event.orderId },
);
