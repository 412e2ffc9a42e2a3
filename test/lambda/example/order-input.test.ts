import { describe, expect, it } from 'vitest';
import { DEFAULT_SKU } from '../../../lambda/example/inventory.js';
import { DEFAULT_EMAIL, MAX_AMOUNT, MAX_QUANTITY, parseOrderInput } from '../../../lambda/example/order-input.js';
import { DECLINED_PAYMENT_METHOD, DEFAULT_PAYMENT_METHOD } from '../../../lambda/example/payment-provider.js';

describe('parseOrderInput', () => {
  it('accepts an amount in minor units and an ISO 4217 currency, defaulting the rest', () => {
    expect(parseOrderInput('{"amount": 1250, "currency": "EUR"}')).toEqual({
      amount: 1250,
      currency: 'EUR',
      sku: DEFAULT_SKU,
      quantity: 1,
      email: DEFAULT_EMAIL,
      paymentMethod: DEFAULT_PAYMENT_METHOD,
    });
  });

  it('accepts a product, a quantity, an address and a test payment method', () => {
    const body = { amount: 5000, currency: 'USD', sku: 'limited-print', quantity: 2, email: 'ada@example.org', paymentMethod: DECLINED_PAYMENT_METHOD };
    expect(parseOrderInput(JSON.stringify(body))).toEqual(body);
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
    ['a product not in the catalogue', '{"amount": 1250, "currency": "EUR", "sku": "unicorn"}', /sku must be one of demo-widget, limited-print/],
    ['a catalogue name inherited from Object', '{"amount": 1250, "currency": "EUR", "sku": "constructor"}', /sku must be one of/],
    ['a zero quantity', '{"amount": 1250, "currency": "EUR", "quantity": 0}', /quantity must be a whole number from 1/],
    ['a quantity over the limit', `{"amount": 1250, "currency": "EUR", "quantity": ${MAX_QUANTITY + 1}}`, /quantity/],
    ['an address without a domain', '{"amount": 1250, "currency": "EUR", "email": "ada@"}', /email must be an address/],
    ['an address that is not a string', '{"amount": 1250, "currency": "EUR", "email": 7}', /email must be an address/],
    ['an unknown payment method', '{"amount": 1250, "currency": "EUR", "paymentMethod": "pm_card_mastercard"}', /paymentMethod must be one of/],
  ])('rejects %s with a message for the client', (_, body, message) => {
    const result = parseOrderInput(body);
    expect(result).toHaveProperty('error');
    expect((result as { error: string }).error).toMatch(message);
  });
});
