/**
 * The example of docs/testing.md ("A handler of your own"), as it is printed there but for the
 * import paths: the documentation's code must run.
 */
import { describe, expect, it } from 'vitest';
import { makeIdempotent, step } from '../../../lambda/index.js';
import { FaultyStore, InMemoryStore, simulateCrashes, simulateRetries } from '../../../lambda/testing/index.js';

/** A payment provider that deduplicates by idempotency key, as real ones do. */
class FakePayments {
  calls = 0;
  readonly charges = new Map<string, string>();
  async charge(key: string): Promise<string> {
    this.calls += 1;
    if (!this.charges.has(key)) this.charges.set(key, `ch_${this.charges.size + 1}`);
    return this.charges.get(key)!;
  }
}

function world() {
  const store = new FaultyStore(new InMemoryStore());
  const payments = new FakePayments();
  const handler = makeIdempotent(
    async (order: { id: string }) => ({ orderId: order.id, chargeId: await step('charge', (key) => payments.charge(key)) }),
    { store, name: 'orders', key: (order) => order.id },
  );
  return { store, handler, payments };
}

describe('orders', () => {
  it('charges once, whatever point a run crashes at', async () => {
    const { crashes } = await simulateCrashes(world, { id: 'order-1' }, { stepNames: ['charge'] });
    for (const { point, world } of crashes) expect(world.payments.charges.size, point.label).toBe(1);
  });

  it('charges once when four duplicates race', async () => {
    const w = world();
    const report = await simulateRetries(w.handler, { id: 'order-1' }, { store: w.store, attempts: 4, concurrent: true });
    expect(report.runs).toBe(1);
    expect(w.payments.charges.size).toBe(1);
  });
});
