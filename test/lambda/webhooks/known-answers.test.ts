/**
 * The presets against the values the providers publish, so the tests' own signer (signers.ts)
 * is not the only judge of what a correct signature is. Stripe publishes no such vector; its
 * preset is checked against deliveries signed as its documentation describes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { githubWebhooks, standardWebhooks, WebhookVerificationError, type HeaderLookup, type HttpEvent } from '../../../lambda/index.js';

const headers =
  (values: Record<string, string>): HeaderLookup =>
  (name) =>
    values[name.toLowerCase()];
const noEvent = {} as HttpEvent;

describe('Standard Webhooks: the reference library’s vector', () => {
  // standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts, "sign function works".
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = '1614265330';
  const body = Buffer.from('{"test": 2432232314}');
  const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

  beforeEach(() => {
    // Only the clock the tolerance reads is moved to when the vector was signed.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Number(timestamp) * 1000 + 10_000);
  });
  afterEach(() => vi.useRealTimers());

  const verify = (signatures: string, key = secret) =>
    standardWebhooks({ secret: key }).verify(
      noEvent,
      body,
      headers({ 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures }),
    );

  it('accepts the published signature', async () => {
    await expect(verify(signature)).resolves.toBe(true);
  });

  it('accepts it with the secret given without its whsec_ prefix', async () => {
    await expect(verify(signature, secret.slice('whsec_'.length))).resolves.toBe(true);
  });

  it('finds it in a list with other versions and other signatures, as the spec allows', async () => {
    const others = 'v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== v2,abc v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=';
    await expect(verify(`${others} ${signature}`)).resolves.toBe(true);
  });

  it('rejects it for a body one byte longer', async () => {
    const longer = standardWebhooks({ secret }).verify(
      noEvent,
      Buffer.concat([body, Buffer.from(' ')]),
      headers({ 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature }),
    );
    await expect(longer).rejects.toBeInstanceOf(WebhookVerificationError);
  });

  it('rejects it once the timestamp is older than the tolerance', async () => {
    vi.setSystemTime((Number(timestamp) + 301) * 1000);
    await expect(verify(signature)).rejects.toThrow(/301 s old, outside the tolerance of 300 s/);
  });

  it('accepts it later with a longer tolerance', async () => {
    vi.setSystemTime((Number(timestamp) + 3600) * 1000);
    const verifier = standardWebhooks({ secret, toleranceSeconds: 3601 });
    const verdict = verifier.verify(noEvent, body, headers({ 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature }));
    await expect(verdict).resolves.toBe(true);
  });

  it('rejects a truncated signature and a signature of another version only', async () => {
    await expect(verify(signature.slice(0, 20))).rejects.toThrow(/no well-formed v1 signature/);
    await expect(verify(signature.replace('v1,', 'v1a,'))).rejects.toThrow(/no well-formed v1 signature/);
  });
});

describe('GitHub: the documentation’s test values', () => {
  // docs.github.com, "Validating webhook deliveries", Testing the webhook payload validation.
  const secret = "It's a Secret to Everybody";
  const body = Buffer.from('Hello, World!');
  const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  const verify = (value: string, payload = body) =>
    githubWebhooks({ secret }).verify(noEvent, payload, headers({ 'x-hub-signature-256': value }));

  it('accepts the published signature', async () => {
    await expect(verify(signature)).resolves.toBe(true);
  });

  it('accepts it in upper-case hex', async () => {
    await expect(verify(`sha256=${signature.slice('sha256='.length).toUpperCase()}`)).resolves.toBe(true);
  });

  it('rejects it for another body, and rejects trailing junk rather than ignoring it', async () => {
    await expect(verify(signature, Buffer.from('Hello, World?'))).rejects.toThrow(/does not match/);
    await expect(verify(`${signature}00`)).rejects.toThrow(/not sha256=<64 hex digits>/);
    await expect(verify(signature.replace('sha256=', 'sha1='))).rejects.toThrow(/not sha256=/);
  });
});
