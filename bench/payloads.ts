/**
 * Results the cost scenarios return, built deterministically so every run stores the same bytes:
 * a small receipt, a large order (JSON, as compressible as real orders are) and a large random
 * string (incompressible).
 */

/** A seeded PRNG (mulberry32): the same seed gives the same sequence on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Bytes of the large results: 100 KB, as in the issue. */
export const LARGE_RESULT_BYTES = 100 * 1024;

/** A result whose JSON is exactly `bytes` long (at least 60), padded with a note. */
export function smallResult(bytes = 100): Record<string, string> {
  const base = { paymentId: 'pay-000001', status: 'captured', receipt: 'rcpt-000001', note: '' };
  const padding = bytes - JSON.stringify(base).length;
  if (padding < 0) throw new Error(`smallResult: ${bytes} bytes is below the ${bytes - padding}-byte minimum`);
  return { ...base, note: 'x'.repeat(padding) };
}

const ADJECTIVES = ['organic', 'roasted', 'stainless', 'ceramic', 'recycled', 'compact', 'premium', 'classic', 'wireless', 'bamboo'];
const NOUNS = ['coffee beans', 'kettle', 'mug', 'grinder', 'filter papers', 'scale', 'tamper', 'milk jug', 'carafe', 'dripper'];
const STREETS = ['Harbour Road', 'Main Street', 'Station Lane', 'Mill Street', 'Church Road', 'Quay Street'];
const CITIES = ['Dublin', 'Cork', 'Galway', 'Limerick', 'Waterford', 'Kilkenny'];
const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson'];

/**
 * An order of about `bytes` of JSON: a customer, two addresses and as many line items (sku,
 * name, quantity, price, tax) as fit, drawn from word lists by a seeded PRNG. Compresses about as
 * well as a real order: names and keys repeat, numbers do not.
 */
export function orderResult(bytes = LARGE_RESULT_BYTES, seed = 17): Record<string, unknown> {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const digits = (n: number) => String(Math.floor(random() * 10 ** n)).padStart(n, '0');
  const address = () => ({
    line1: `${1 + Math.floor(random() * 200)} ${pick(STREETS)}`,
    city: pick(CITIES),
    postcode: `D${digits(2)} ${digits(4)}`,
    country: 'IE',
  });
  const order = {
    orderId: `ord-${digits(10)}`,
    placedAt: '2026-12-02T10:15:00.000Z',
    currency: 'EUR',
    customer: { id: `cus_${digits(12)}`, name: `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)}`, email: 'customer@example.com' },
    billingAddress: address(),
    shippingAddress: address(),
    lines: [] as Array<Record<string, unknown>>,
    totalCents: 0,
  };
  while (JSON.stringify(order).length < bytes) {
    const name = `${pick(ADJECTIVES)} ${pick(NOUNS)}`;
    const priceCents = 100 + Math.floor(random() * 9_900);
    const quantity = 1 + Math.floor(random() * 5);
    order.lines.push({
      sku: `sku-${name.replace(/ /g, '-')}-${digits(4)}`,
      name,
      quantity,
      priceCents,
      taxCents: Math.round(priceCents * quantity * 0.23),
    });
    order.totalCents += priceCents * quantity;
  }
  return order;
}

/** A base64 string of `bytes` characters from a seeded PRNG: compression cannot shrink its information. */
export function randomBase64Result(bytes = LARGE_RESULT_BYTES, seed = 17): { readonly blob: string } {
  const random = seededRandom(seed);
  const raw = Buffer.alloc(Math.ceil((bytes * 3) / 4));
  for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(random() * 256);
  return { blob: raw.toString('base64').slice(0, bytes) };
}
