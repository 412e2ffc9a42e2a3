/**
 * The stories of the essay, played against a running example API: what retry-safe promises,
 * checked over real HTTP. Used by `npm run demo` and by the end-to-end test.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { LOCAL_WEBHOOK_SECRET, WEBHOOK_PATH } from './local-api.js';

/** One checked step of a story. */
export interface StoryOutcome {
  readonly story: string;
  readonly request: string;
  readonly expected: string;
  readonly got: string;
  readonly ok: boolean;
}

/** How many identical requests the concurrency story sends at once. */
export const CONCURRENT_DUPLICATES = 20;

interface Reply {
  readonly status: number;
  readonly replayed: boolean;
  readonly retryAfter: string | null;
  readonly contentType: string;
  readonly body: string;
}

/** What the stories check of an HTTP response. */
async function replyOf(response: Response): Promise<Reply> {
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed') === 'true',
    retryAfter: response.headers.get('retry-after'),
    contentType: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}

async function send(baseUrl: string, path: string, init: { method: string; key?: string; body?: string }): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.key !== undefined) headers['idempotency-key'] = init.key;
  const response = await fetch(new URL(path, baseUrl), { method: init.method, headers, body: init.body });
  return replyOf(response);
}

function describe(reply: Reply): string {
  return `${reply.status}${reply.replayed ? ' replayed' : ''}${reply.retryAfter ? ` Retry-After: ${reply.retryAfter}` : ''}`;
}

function orderId(reply: Reply): string | undefined {
  try {
    return (JSON.parse(reply.body) as { id?: string }).id;
  } catch {
    return undefined;
  }
}

/** Sends a Standard Webhooks delivery, signed with `secret` and stamped `timestamp` (Unix seconds). */
async function deliver(baseUrl: string, secret: string, delivery: { id: string; body: string; timestamp: number }): Promise<Reply> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${delivery.id}.${delivery.timestamp}.${delivery.body}`).digest('base64');
  const response = await fetch(new URL(WEBHOOK_PATH, baseUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': delivery.id,
      'webhook-timestamp': String(delivery.timestamp),
      'webhook-signature': `v1,${signature}`,
    },
    body: delivery.body,
  });
  return replyOf(response);
}

/**
 * Plays every story once, with fresh keys, and reports each step. Never throws for a wrong answer.
 * `webhookSecret` is the signing secret of the API's webhook receiver.
 */
export async function playStories(baseUrl: string, webhookSecret = LOCAL_WEBHOOK_SECRET): Promise<StoryOutcome[]> {
  const outcomes: StoryOutcome[] = [];
  const check = (story: string, request: string, expected: string, got: string, ok: boolean) =>
    outcomes.push({ story, request, expected, got, ok });
  const order = JSON.stringify({ amount: 1250, currency: 'EUR' });

  // 1. The response is lost on the way back; the client retries with the same key.
  const lostKey = randomUUID();
  const first = await send(baseUrl, '/orders', { method: 'POST', key: lostKey, body: order });
  check('retry after a lost response', 'POST /orders (key A)', '201', describe(first), first.status === 201 && !first.replayed);
  const retry = await send(baseUrl, '/orders', { method: 'POST', key: lostKey, body: order });
  check(
    'retry after a lost response',
    'same request again (key A)',
    '201 replayed, same bytes',
    `${describe(retry)}${retry.body === first.body ? ', same bytes' : ', different body'}`,
    retry.status === 201 && retry.replayed && retry.body === first.body,
  );
  const firstId = orderId(first);
  const read = await send(baseUrl, `/orders/${firstId}`, { method: 'GET' });
  check('retry after a lost response', 'GET /orders/{id}', '200, the one order', describe(read), read.status === 200 && orderId(read) === firstId);

  // 2. A client (or a proxy) fires the same request many times at once.
  const burstKey = randomUUID();
  const burst = await Promise.all(
    Array.from({ length: CONCURRENT_DUPLICATES }, () => send(baseUrl, '/orders', { method: 'POST', key: burstKey, body: order })),
  );
  const created = burst.filter((r) => r.status === 201 && !r.replayed);
  const replays = burst.filter((r) => r.status === 201 && r.replayed);
  const conflicts = burst.filter((r) => r.status === 409 && r.retryAfter !== null);
  const ids = new Set([...created, ...replays].map(orderId));
  check(
    `${CONCURRENT_DUPLICATES} concurrent duplicates`,
    `${CONCURRENT_DUPLICATES} × POST /orders (key B)`,
    '1 created, rest 409 or replayed',
    `${created.length} created, ${conflicts.length} × 409, ${replays.length} replayed, ${ids.size} order id(s)`,
    created.length === 1 && created.length + replays.length + conflicts.length === burst.length && ids.size === 1,
  );
  const settled = await retryWhileInProgress(() => send(baseUrl, '/orders', { method: 'POST', key: burstKey, body: order }));
  check(
    `${CONCURRENT_DUPLICATES} concurrent duplicates`,
    'retry after the 409s (key B)',
    '201 replayed, same order',
    describe(settled),
    settled.status === 201 && settled.replayed && orderId(settled) === orderId(created[0] ?? settled),
  );

  // 3. A client reuses a key for a different request.
  const other = JSON.stringify({ amount: 9900, currency: 'EUR' });
  const reused = await send(baseUrl, '/orders', { method: 'POST', key: lostKey, body: other });
  check('key reused, different body', 'POST /orders (key A, amount 9900)', '422 problem+json', `${describe(reused)} ${reused.contentType}`, reused.status === 422 && reused.contentType.startsWith('application/problem+json'));

  // 4. A client forgets the key.
  const missing = await send(baseUrl, '/orders', { method: 'POST', body: order });
  check('missing key', 'POST /orders (no key)', '400 problem+json', `${describe(missing)} ${missing.contentType}`, missing.status === 400 && missing.contentType.startsWith('application/problem+json'));

  // 5. The card is declined: the answer for this key, stored like any 4xx.
  const declinedKey = randomUUID();
  const declinedOrder = JSON.stringify({ amount: 1250, currency: 'EUR', paymentMethod: 'pm_card_chargeDeclined' });
  const declined = await send(baseUrl, '/orders', { method: 'POST', key: declinedKey, body: declinedOrder });
  check('card declined', 'POST /orders (key C, declined card)', '402 problem+json', `${describe(declined)} ${declined.contentType}`, declined.status === 402 && declined.contentType.startsWith('application/problem+json'));
  const declinedAgain = await send(baseUrl, '/orders', { method: 'POST', key: declinedKey, body: declinedOrder });
  check(
    'card declined',
    'same request again (key C)',
    '402 replayed, same bytes',
    `${describe(declinedAgain)}${declinedAgain.body === declined.body ? ', same bytes' : ', different body'}`,
    declinedAgain.status === 402 && declinedAgain.replayed && declinedAgain.body === declined.body,
  );

  // 6. More units than the product has: refused before anyone is charged.
  const soldOut = await send(baseUrl, '/orders', {
    method: 'POST',
    key: randomUUID(),
    body: JSON.stringify({ amount: 4000, currency: 'EUR', sku: 'limited-print', quantity: 4 }),
  });
  check('sold out', 'POST /orders (4 of a 3-unit product)', '409 out-of-stock', `${describe(soldOut)} ${problemSlug(soldOut)}`, soldOut.status === 409 && problemSlug(soldOut) === 'out-of-stock');

  // 7. A payment provider delivers a webhook three times (its retries carry new timestamps and signatures).
  const delivery = { id: `msg_${randomUUID()}`, body: JSON.stringify({ type: 'payment.succeeded', data: { amount: 1250 } }) };
  const now = () => Math.floor(Date.now() / 1000);
  const deliveries: Reply[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const reply = await deliver(baseUrl, webhookSecret, { ...delivery, timestamp: now() });
    deliveries.push(reply);
    const expected = attempt === 1 ? '2xx' : '2xx replayed, same bytes';
    const isSuccess = reply.status >= 200 && reply.status < 300;
    const ok = attempt === 1 ? isSuccess && !reply.replayed : isSuccess && reply.replayed && reply.body === deliveries[0].body;
    check('webhook delivered 3 times', `POST ${WEBHOOK_PATH} (delivery ${attempt}/3)`, expected, `${describe(reply)} ${reply.body}`, ok);
  }
  const forgedSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const forged = await deliver(baseUrl, forgedSecret, { id: `msg_${randomUUID()}`, body: delivery.body, timestamp: now() });
  check('forged webhook', `POST ${WEBHOOK_PATH} (wrong secret)`, '401 problem+json', `${describe(forged)} ${problemSlug(forged)}`, forged.status === 401 && problemSlug(forged) === 'webhook-signature-invalid');
  const stale = await deliver(baseUrl, webhookSecret, { id: `msg_${randomUUID()}`, body: delivery.body, timestamp: now() - 600 });
  check('stale webhook', `POST ${WEBHOOK_PATH} (signed 10 min ago)`, '401 problem+json', `${describe(stale)} ${problemSlug(stale)}`, stale.status === 401 && problemSlug(stale) === 'webhook-signature-invalid');

  return outcomes;
}

/** The last segment of a problem's `type`, e.g. `out-of-stock`. */
function problemSlug(reply: Reply): string {
  try {
    return String((JSON.parse(reply.body) as { type?: string }).type ?? '').split(':').pop() ?? '';
  } catch {
    return '';
  }
}

async function retryWhileInProgress(request: () => Promise<Reply>): Promise<Reply> {
  for (let attempt = 0; ; attempt++) {
    const reply = await request();
    if (reply.status !== 409 || attempt >= 20) return reply;
    await new Promise((resolve) => setTimeout(resolve, Number(reply.retryAfter ?? 1) * 100));
  }
}

/** The outcomes as an aligned text table. */
export function formatOutcomes(outcomes: readonly StoryOutcome[]): string {
  const header = ['', 'story', 'request', 'expected', 'got'];
  const rows = outcomes.map((o) => [o.ok ? 'ok' : 'WRONG', o.story, o.request, o.expected, o.got]);
  const widths = header.map((_, i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
