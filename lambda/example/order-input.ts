/** What a client sends to create an order. */
export interface OrderInput {
  /** In the currency's minor unit (cents for EUR and USD): whole numbers avoid rounding. */
  readonly amount: number;
  /** ISO 4217 code, e.g. `EUR`. */
  readonly currency: string;
}

/** The largest amount accepted, in minor units: a sanity limit for a demo payment API. */
export const MAX_AMOUNT = 100_000_000;

const CURRENCY = /^[A-Z]{3}$/;
const FIELDS = new Set(['amount', 'currency']);

/** Parses and validates a create-order body; returns the input or a message for the client. */
export function parseOrderInput(body: string | undefined): OrderInput | { readonly error: string } {
  if (body === undefined || body.trim() === '') {
    return { error: 'the body is empty; send JSON like {"amount": 1250, "currency": "EUR"}' };
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return { error: `the body is not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'the body must be a JSON object like {"amount": 1250, "currency": "EUR"}' };
  }
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((name) => !FIELDS.has(name));
  if (unknown.length > 0) return { error: `unknown field(s): ${unknown.join(', ')}; send only amount and currency` };
  const { amount, currency } = fields;
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1 || amount > MAX_AMOUNT) {
    return { error: `amount must be a whole number of minor units from 1 to ${MAX_AMOUNT}, got ${JSON.stringify(amount)}` };
  }
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) {
    return { error: `currency must be an ISO 4217 code such as "EUR", got ${JSON.stringify(currency)}` };
  }
  return { amount, currency };
}
