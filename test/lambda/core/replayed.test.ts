import { describe, expectTypeOf, it } from 'vitest';
import { step, type Replayed } from '../../../lambda/index.js';

class Receipt {
  constructor(
    readonly id: string,
    readonly issuedAt: Date,
  ) {}
  describe(): string {
    return this.id;
  }
}

interface Charge {
  id: string;
  amount: bigint;
  at: Date;
  tags: Set<string>;
  lines: Array<{ sku: string; qty: number }>;
}

// Checked by `tsc` (npm test type-checks the tests): a wrong type fails the build.
describe('Replayed<T>', () => {
  it('is the type itself for data and for the built-ins a replay gives back equal', () => {
    expectTypeOf<Replayed<Date>>().toEqualTypeOf<Date>();
    expectTypeOf<Replayed<bigint>>().toEqualTypeOf<bigint>();
    expectTypeOf<Replayed<Uint8Array>>().toEqualTypeOf<Uint8Array>();
    expectTypeOf<Replayed<Charge>>().toMatchTypeOf<Charge>();
    expectTypeOf<Charge>().toMatchTypeOf<Replayed<Charge>>();
    expectTypeOf<Replayed<[string, Date]>>().toEqualTypeOf<[string, Date]>();
    expectTypeOf<Replayed<Map<string, Date>>>().toEqualTypeOf<Map<string, Date>>();
  });

  it('drops a class instance’s methods, which a replay does not bring back, and keeps its data', () => {
    expectTypeOf<Replayed<Receipt>>().toEqualTypeOf<{ readonly id: string; readonly issuedAt: Date }>();
    expectTypeOf<Replayed<Receipt>>().not.toHaveProperty('describe');
  });

  it('types a step’s result as what a replay returns', () => {
    // Functions that are never called: only their types are checked.
    const dateStep = () => step('at', async () => new Date());
    const receiptStep = () => step('receipt', () => new Receipt('r', new Date()));
    expectTypeOf(dateStep).returns.resolves.toEqualTypeOf<Date>();
    expectTypeOf(receiptStep).returns.resolves.not.toHaveProperty('describe');
  });
});
