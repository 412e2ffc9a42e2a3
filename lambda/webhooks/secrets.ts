import { IdempotencyError } from '../core/errors.js';

/**
 * A webhook signing secret: one string, several (during a rotation: a request verifying with
 * any one of them is accepted), or a function returning either, called once per cold start
 * (e.g. to read Secrets Manager or SSM Parameter Store).
 */
export type WebhookSecret =
  | string
  | readonly string[]
  | (() => string | readonly string[] | Promise<string | readonly string[]>);

/** Turns one secret's text into the HMAC key bytes, or throws saying what is wrong with it (never what it is). */
export type SecretDecoder = (text: string) => Buffer;

/**
 * The HMAC keys of a secret option, decoded once. Literal secrets are checked now, so a bad
 * one fails at cold start; a getter is called on first use and its keys kept for the life of
 * the container. A getter that fails is called again by the next request rather than
 * remembered, so a passing outage does not stick.
 *
 * @param option - how the option is named in messages, e.g. `githubWebhooks({ secret })`
 * @throws IdempotencyError when a literal secret is unusable
 */
export function secretKeys(secret: WebhookSecret, option: string, decode: SecretDecoder): () => Promise<readonly Buffer[]> {
  if (typeof secret !== 'function') {
    const keys = Promise.resolve(decodeAll(secret, option, decode));
    return () => keys;
  }
  let keys: Promise<readonly Buffer[]> | undefined;
  return function webhookSecretKeys() {
    keys ??= fetchKeys(secret, option, decode).catch((error: unknown) => {
      keys = undefined;
      throw error;
    });
    return keys;
  };
}

async function fetchKeys(
  getter: () => string | readonly string[] | Promise<string | readonly string[]>,
  option: string,
  decode: SecretDecoder,
): Promise<readonly Buffer[]> {
  let value: unknown;
  try {
    value = await getter();
  } catch (error) {
    throw new IdempotencyError(`the secret getter of ${option} failed; the request was not verified`, { cause: error });
  }
  return decodeAll(value, option, decode);
}

function decodeAll(value: unknown, option: string, decode: SecretDecoder): Buffer[] {
  const texts = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(texts) || texts.length === 0) {
    throw new IdempotencyError(`${option}: secret must be a string, a non-empty array of strings, or a function returning one`);
  }
  return texts.map((text: unknown, index) => {
    const label = texts.length === 1 ? 'secret' : `secret[${index}]`;
    if (typeof text !== 'string' || text === '') {
      throw new IdempotencyError(`${option}: ${label} must be a non-empty string, got ${text === '' ? 'an empty string' : typeof text}`);
    }
    try {
      return decode(text);
    } catch (error) {
      throw new IdempotencyError(`${option}: ${label} ${(error as Error).message}`);
    }
  });
}
