import { CATALOGUE, DEFAULT_SKU } from './inventory.js';
import { DECLINED_PAYMENT_METHOD, DEFAULT_PAYMENT_METHOD } from './payment-provider.js';

/** What a client sends to create an order. */
export interface OrderInput {
  /** In the currency's minor unit (cents for EUR and USD): whole numbers avoid rounding. */
  readonly amount: number;
  /** ISO 4217 code, e.g. `EUR`. */
  readonly currency: string;
  /** The product ordered, one of {@link CATALOGUE}. */
  readonly sku: string;
  /** How many units, 1 to {@link MAX_QUANTITY}. */
  readonly quantity: number;
  /** Where the confirmation goes. */
  readonly email: string;
  /** The fake payment provider's test payment method (Stripe's names). */
  readonly paymentMethod: string;
}

/** The largest amount accepted, in minor units: a sanity limit for a demo payment API. */
export const MAX_AMOUNT = 100_000_000;
/** The most units one order may take. */
export const MAX_QUANTITY = 100;
/** The confirmation address when the body names none: a reserved domain (RFC 2606), nothing is delivered. */
export const DEFAULT_EMAIL = 'customer@example.com';

const CURRENCY = /^[A-Z]{3}$/;
// Deliberately loose: one @, no spaces, a dot in the domain. Real validation is sending the email.
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{1,63}$/;
const PAYMENT_METHODS = [DEFAULT_PAYMENT_METHOD, DECLINED_PAYMENT_METHOD];
const FIELDS = new Set(['amount', 'currency', 'sku', 'quantity', 'email', 'paymentMethod']);
const EXAMPLE = '{"amount": 1250, "currency": "EUR"}';

/**
 * Parses and validates a create-order body; returns the input or a message for the client.
 * Only `amount` and `currency` are required; the rest default to one demo product, one unit,
 * {@link DEFAULT_EMAIL} and a card that is charged.
 */
export function parseOrderInput(body: string | undefined): OrderInput | { readonly error: string } {
  if (body === undefined || body.trim() === '') {
    return { error: `the body is empty; send JSON like ${EXAMPLE}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return { error: `the body is not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: `the body must be a JSON object like ${EXAMPLE}` };
  }
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((name) => !FIELDS.has(name));
  if (unknown.length > 0) {
    return { error: `unknown field(s): ${unknown.join(', ')}; send only ${[...FIELDS].join(', ')}` };
  }
  const { amount, currency } = fields;
  const { sku = DEFAULT_SKU, quantity = 1, email = DEFAULT_EMAIL, paymentMethod = DEFAULT_PAYMENT_METHOD } = fields;
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1 || amount > MAX_AMOUNT) {
    return { error: `amount must be a whole number of minor units from 1 to ${MAX_AMOUNT}, got ${JSON.stringify(amount)}` };
  }
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) {
    return { error: `currency must be an ISO 4217 code such as "EUR", got ${JSON.stringify(currency)}` };
  }
  if (typeof sku !== 'string' || !Object.hasOwn(CATALOGUE, sku)) {
    return { error: `sku must be one of ${Object.keys(CATALOGUE).join(', ')}, got ${JSON.stringify(sku)}` };
  }
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    return { error: `quantity must be a whole number from 1 to ${MAX_QUANTITY}, got ${JSON.stringify(quantity)}` };
  }
  if (typeof email !== 'string' || !EMAIL.test(email)) {
    return { error: `email must be an address like "${DEFAULT_EMAIL}", got ${JSON.stringify(email)}` };
  }
  if (typeof paymentMethod !== 'string' || !PAYMENT_METHODS.includes(paymentMethod)) {
    return { error: `paymentMethod must be one of ${PAYMENT_METHODS.join(', ')}, got ${JSON.stringify(paymentMethod)}` };
  }
  return { amount, currency, sku, quantity, email, paymentMethod };
}
