// The function's entry: only makeIdempotent, so neither @middy/core nor @types/aws-lambda is installed.
import { randomUUID } from 'node:crypto';
import { DynamoDBStore, makeIdempotent } from 'retry-safe';

interface OrderEvent {
  readonly orderId: string;
}

let runs = 0;

/** How many times the handler body ran in this process. */
export const sideEffects = (): number => runs;

export const handler = makeIdempotent(
  async (event: OrderEvent) => {
    runs += 1;
    return { orderId: event.orderId, receipt: randomUUID() };
  },
  { store: new DynamoDBStore(), key: (event) => event.orderId },
);
