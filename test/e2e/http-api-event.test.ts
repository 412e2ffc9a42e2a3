import { request as httpRequest, createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext, readBody, toHttpApiEvent } from '../../scripts/http-api-event.js';

/** A server that answers each request with the HTTP API v2 event the local API would build. */
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer(async (request: IncomingMessage, response) => {
    const body = await readBody(request);
    const event = body === 'too-large' ? null : toHttpApiEvent(request, body);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(event));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends raw header lines (repeats included), which fetch would merge. */
function send(path: string, headers: Array<[string, string]>, body = ''): Promise<APIGatewayProxyEventV2> {
  // An array value makes Node send one header line per value.
  const lines: Record<string, string[]> = {};
  for (const [name, value] of headers) (lines[name] ??= []).push(value);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: lines }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(JSON.parse(text) as APIGatewayProxyEventV2));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('toHttpApiEvent', () => {
  it('builds a payload 2.0 event with lowercased headers, repeats joined by commas, and cookies apart', async () => {
    const event = await send('/orders?a=1&a=2&b=x', [
      ['Idempotency-Key', 'one'],
      ['Idempotency-Key', 'two'],
      ['Cookie', 'session=s1; theme=dark'],
      ['Content-Type', 'application/json'],
    ], '{"amount":1}');
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('$default');
    expect(event.rawPath).toBe('/orders');
    expect(event.rawQueryString).toBe('a=1&a=2&b=x');
    expect(event.queryStringParameters).toEqual({ a: '1,2', b: 'x' });
    expect(event.headers['idempotency-key']).toBe('one,two');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(['session=s1', 'theme=dark']);
    expect(event.body).toBe('{"amount":1}');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext.http.method).toBe('POST');
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(event.headers['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it('base64-encodes a body of a binary media type, as API Gateway does', async () => {
    const event = await send('/upload', [['Content-Type', 'application/octet-stream']], 'raw\u0000bytes');
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64').toString()).toBe('raw\u0000bytes');
  });

  it('gives each request its own request id and trace header', async () => {
    const [a, b] = await Promise.all([send('/x', []), send('/x', [])]);
    expect(a.requestContext.requestId).not.toBe(b.requestContext.requestId);
    expect(a.headers['x-amzn-trace-id']).not.toBe(b.headers['x-amzn-trace-id']);
  });
});

describe('lambdaContext', () => {
  it('counts the remaining time down from the timeout, never below zero', async () => {
    const context = lambdaContext('orders', 'req-1', 50);
    expect(context.functionName).toBe('orders');
    expect(context.awsRequestId).toBe('req-1');
    const first = context.getRemainingTimeInMillis();
    expect(first).toBeLessThanOrEqual(50);
    expect(first).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });
});
