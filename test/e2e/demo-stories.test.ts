import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatOutcomes, playStories } from '../../scripts/demo-stories.js';

/** An API without idempotency: every POST creates a new order. The demo must catch it. */
let server: Server;
let url: string;

beforeAll(async () => {
  let orders = 0;
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.method === 'POST') {
        response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `o-${++orders}` }));
      } else {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'o-1' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the demo stories', () => {
  it('report every story an API without idempotency gets wrong', async () => {
    const outcomes = await playStories(url);
    const wrong = outcomes.filter((o) => !o.ok).map((o) => o.request);
    expect(wrong).toEqual([
      'same request again (key A)',
      '20 × POST /orders (key B)',
      'retry after the 409s (key B)',
      'POST /orders (key A, amount 9900)',
      'POST /orders (no key)',
      'POST /orders (key C, declined card)',
      'same request again (key C)',
      'POST /orders (4 of a 3-unit product)',
      'POST /webhooks/payments (delivery 2/3)',
      'POST /webhooks/payments (delivery 3/3)',
      'POST /webhooks/payments (wrong secret)',
      'POST /webhooks/payments (signed 10 min ago)',
    ]);
    expect(formatOutcomes(outcomes)).toMatch(/^WRONG/m);
  });
});
