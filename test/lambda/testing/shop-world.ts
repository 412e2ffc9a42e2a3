/**
 * A small shop for the kit's tests: an order handler that charges and mails through steps, with
 * fakes that deduplicate by the key they are given, as a payment provider and a mailer do, and
 * count every call, so a repeated request shows even when its effect was not repeated.
 */
import { randomUUID } from 'node:crypto';
import { makeIdempotent, step } from '../../../lambda/index.js';
import { FaultyStore, InMemoryStore } from '../../../lambda/testing/index.js';
import { recordingLogger } from '../../support/lambda-context.js';

export interface Order {
  readonly id: string;
  readonly amountCents: number;
}

/** Does its effect once per key; repeats get the first outcome back. */
export class DedupingFake {
  /** Every request received. */
  calls = 0;
  private readonly done = new Map<string, string>();

  constructor(private readonly prefix: string) {}

  /** How many effects really happened. */
  get effects(): number {
    return this.done.size;
  }

  async perform(key: string): Promise<string> {
    this.calls += 1;
    await Promise.resolve();
    if (!this.done.has(key)) this.done.set(key, `${this.prefix}_${this.done.size + 1}`);
    return this.done.get(key) as string;
  }
}

export const ORDER: Order = { id: 'order-1', amountCents: 1250 };
export const SHOP_STEPS = ['charge', 'email'] as const;

/**
 * The shop on a fresh in-memory store. `naive` charges outside any step, with a fresh key per
 * run: the bug the kit is there to catch.
 */
export function shopWorld(options: { naive?: boolean } = {}) {
  const store = new FaultyStore(new InMemoryStore());
  const payments = new DedupingFake('ch');
  const mailer = new DedupingFake('msg');
  const logger = recordingLogger();
  let runs = 0;
  const handler = makeIdempotent(
    async (order: Order) => {
      runs += 1;
      const chargeId = options.naive
        ? await payments.perform(randomUUID())
        : await step('charge', (key) => payments.perform(key));
      const messageId = await step('email', (key) => mailer.perform(key));
      return { orderId: order.id, chargeId, messageId };
    },
    { store, name: 'orders', key: (order) => order.id, logger },
  );
  return { store, handler, payments, mailer, logger, runs: () => runs };
}
