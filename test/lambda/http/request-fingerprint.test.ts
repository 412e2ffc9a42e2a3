import { describe, expect, it } from 'vitest';
import { readHttpEvent } from '../../../lambda/http/http-event.js';
import { requestFingerprint } from '../../../lambda/http/request-fingerprint.js';
import { IdempotencyError } from '../../../lambda/index.js';
import { httpV2, SHAPES, type RequestSpec } from './events.js';

describe.each(SHAPES)('requestFingerprint on a %s event', (_, build) => {
  const hash = (spec: RequestSpec) => requestFingerprint((readHttpEvent(build(spec))));
  const order = { method: 'POST', path: '/orders', body: '{"amount":1250,"currency":"EUR"}' };

  it('ignores JSON key order and whitespace', () => {
    expect(hash({ ...order, body: '{ "currency" : "EUR",\n  "amount": 1250 }' })).toBe(hash(order));
  });

  it('ignores volatile envelope fields: request id, time, trace and other headers', () => {
    // Each build draws a new request id, time and trace header.
    expect(hash({ ...order, headers: { 'User-Agent': 'retry/2', 'X-Request-Id': 'other' } })).toBe(hash(order));
  });

  it('counts the body', () => {
    expect(hash({ ...order, body: '{"amount":1251,"currency":"EUR"}' })).not.toBe(hash(order));
  });

  it('counts the method', () => {
    expect(hash({ ...order, method: 'PATCH' })).not.toBe(hash(order));
  });

  it('counts the path', () => {
    expect(hash({ ...order, path: '/orders/1/refund' })).not.toBe(hash({ ...order, path: '/orders/2/refund' }));
  });

  it('counts the query string', () => {
    expect(hash({ ...order, query: { dryRun: ['true'] } })).not.toBe(hash(order));
  });

  it('decodes a base64 body before comparing it', () => {
    const encoded = Buffer.from(order.body).toString('base64');
    expect(hash({ ...order, body: encoded, isBase64Encoded: true })).toBe(hash(order));
  });

  it('compares a non-JSON body byte for byte', () => {
    const form = { ...order, body: 'amount=1250&currency=EUR' };
    expect(hash(form)).toBe(hash({ ...form }));
    expect(hash({ ...form, body: 'amount=1250&currency=EUR ' })).not.toBe(hash(form));
  });

  it('compares binary bodies byte for byte', () => {
    const bytes = (...b: number[]) => ({ ...order, body: Buffer.from(b).toString('base64'), isBase64Encoded: true });
    expect(hash(bytes(0xff, 0x00, 0x01))).toBe(hash(bytes(0xff, 0x00, 0x01)));
    expect(hash(bytes(0xff, 0x00, 0x01))).not.toBe(hash(bytes(0xff, 0x00, 0x02)));
  });

  it('tells apart amounts a double cannot (compares such bodies byte for byte)', () => {
    expect(hash({ ...order, body: '{"amount":12345678901234567890}' })).not.toBe(
      hash({ ...order, body: '{"amount":12345678901234567891}' }),
    );
  });

  it('compares a JSON body whose escapes decode to a lone surrogate byte for byte, instead of failing', () => {
    const lone = { ...order, body: '{"note":"\\ud800"}' };
    expect(hash(lone)).toBe(hash({ ...lone }));
    expect(hash(lone)).not.toBe(hash({ ...order, body: '{"note":"\\ud801"}' }));
  });

  it('tells apart paths and query values with different lone surrogates, instead of failing', () => {
    expect(hash({ ...order, path: '/orders/\ud800' })).not.toBe(hash({ ...order, path: '/orders/\ud801' }));
    // v2 carries the raw query string, whose decoding replaces malformed UTF-8: nothing to tell apart there.
    if (!('rawQueryString' in build({}))) {
      expect(hash({ ...order, query: { q: ['\udc00'] } })).not.toBe(hash({ ...order, query: { q: ['\udc01'] } }));
    }
  });

  it('treats an absent body and an empty one alike', () => {
    expect(hash({ ...order, body: '' })).toBe(hash({ method: 'POST', path: '/orders' }));
  });
});

describe('requestFingerprint on a body an earlier middleware parsed', () => {
  const view = (body: unknown) => ({ ...readHttpEvent(httpV2({ method: 'POST', path: '/orders' })), body });

  it('gives a parsed body the fingerprint of the JSON text it was parsed from', () => {
    const text = readHttpEvent(httpV2({ method: 'POST', path: '/orders', body: '{"b": 1, "a": [2, "x"]}' }));
    expect(requestFingerprint(view({ a: [2, 'x'], b: 1 }))).toBe(requestFingerprint(text));
  });

  it('hashes a parsed object as canonical JSON', () => {
    expect(requestFingerprint(view({ b: 1, a: 2 }))).toBe(requestFingerprint(view({ a: 2, b: 1 })));
  });

  it('still tells apart values canonical JSON cannot hold (lone surrogates, BigInts)', () => {
    const fp = (body: unknown) => requestFingerprint(view(body));
    expect(fp({ note: '\ud800' })).not.toBe(fp({ note: '\ud801' }));
    expect(fp({ amount: 12345678901234567890n })).not.toBe(fp({ amount: 12345678901234567891n }));
  });

  it('rejects a cyclic body with an IdempotencyError naming the middleware as the cause', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => requestFingerprint(view(cyclic))).toThrow(IdempotencyError);
  });
});
