// ESM: a dynamic import(), as CommonJS code and lazy loaders use it.
import { randomUUID } from 'node:crypto';

const { DynamoDBStore, makeIdempotent } = await import('retry-safe');

let runs = 0;

export const sideEffects = () => runs;

export const handler = makeIdempotent(
  async (event) => {
    runs += 1;
    return { orderId: event.orderId, receipt: randomUUID() };
  },
  { store: new DynamoDBStore(), key: (event) => event.orderId },
);
