import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT, parseOrderInput } from '../../../lambda/example/order-input.js';

describe('parseOrderInput', () => {
  it('accepts an amount in minor units and an ISO 4217 currency', () => {
    expect(parseOrderInput('{"amount": 1250, "currency": "EUR"}')).toEqual({ amount: 1250, currency: 'EUR' });
  });

  it.each([
    ['an empty body', '', /empty/],
    ['a body that is not JSON', '{"amount":', /not JSON/],
    ['a JSON array', '[1250, "EUR"]', /JSON object/],
    ['a fractional amount', '{"amount": 12.5, "currency": "EUR"}', /whole number/],
    ['a zero amount', '{"amount": 0, "currency": "EUR"}', /from 1/],
    ['an amount over the limit', `{"amount": ${MAX_AMOUNT + 1}, "currency": "EUR"}`, /whole number/],
    ['an amount sent as a string', '{"amount": "1250", "currency": "EUR"}', /got "1250"/],
    ['a lower-case currency', '{"amount": 1250, "currency": "eur"}', /ISO 4217/],
    ['a missing currency', '{"amount": 1250}', /ISO 4217/],
    ['an unknown field', '{"amount": 1250, "currency": "EUR", "coupon": "X"}', /unknown field\(s\): coupon/],
  ])('rejects %s with a message for the client', (_, body, message) => {
    const result = parseOrderInput(body);
    expect(result).toHaveProperty('error');
    expect((result as { error: string }).error).toMatch(message);
  });
});
