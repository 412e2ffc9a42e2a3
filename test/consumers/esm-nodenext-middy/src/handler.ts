import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { DynamoDBStore, IdempotencyError, idempotency } from 'retry-safe';

interface OrderEvent {
  readonly orderId: string;
}

interface Receipt {
  readonly orderId: string;
  readonly receipt: string;
}

let runs = 0;

/** How many times the handler body ran in this process. */
export const sideEffects = (): number => runs;

async function createOrder(event: OrderEvent, context: Context): Promise<Receipt> {
  runs += 1;
  if (!context.awsRequestId) throw new IdempotencyError('no request id');
  return { orderId: event.orderId, receipt: randomUUID() };
}

export const handler = middy<OrderEvent, Receipt, Error, Context>(createOrder).use(
  idempotency<OrderEvent, Receipt>({ store: new DynamoDBStore(), key: (event) => event.orderId }),
);
