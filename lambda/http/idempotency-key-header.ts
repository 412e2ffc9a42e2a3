import { parseItem, Token } from 'structured-headers';
import { IdempotencyKeyInvalidError } from '../core/errors.js';

/** The request header that carries the key (IETF draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

// RFC 9110 token characters. A bare UUID is a token here, though not an RFC 9651 Token
// (those must start with a letter), so this is checked before the structured-field parser.
const BARE_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A bare token followed by RFC 9651 parameters (`8e03978e-40d5;p=1`).
const BARE_TOKEN_THEN_PARAMETERS = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(;.*)$/;
/** Longest key accepted in the header, in characters: Stripe's limit. */
export const MAX_HEADER_KEY_LENGTH = 255;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
// Optional whitespace around a field value (RFC 9110 OWS): spaces and tabs only.
const SURROUNDING_OWS = /^[ \t]+|[ \t]+$/g;

/**
 * Decodes the `Idempotency-Key` header from all the values an event carries for it.
 *
 * The value is an RFC 9651 String (`"abc"`) or, leniently, a bare RFC 9110 token (`abc`,
 * a bare UUID); both give the key `abc`. Parameters (`"abc";p=1`) are ignored, as RFC 9651
 * asks of parameters a field does not define. The key is 1 to 255 printable ASCII characters.
 *
 * @returns the key, or `undefined` when the header is absent
 * @throws IdempotencyKeyInvalidError when it is empty, malformed, too long, or sent more than once
 */
export function parseIdempotencyKey(values: readonly string[]): string | undefined {
  if (values.length === 0) return undefined;
  if (values.length > 1) {
    throw new IdempotencyKeyInvalidError(`the ${IDEMPOTENCY_KEY_HEADER} header was sent ${values.length} times; send it once`);
  }
  const text = values[0].replace(SURROUNDING_OWS, '');
  if (text === '') throw new IdempotencyKeyInvalidError(`the ${IDEMPOTENCY_KEY_HEADER} header is empty`);
  if (hasTopLevelComma(text)) {
    // API Gateway HTTP APIs and Function URLs join repeated headers with commas.
    throw new IdempotencyKeyInvalidError(
      `the ${IDEMPOTENCY_KEY_HEADER} header holds a list (${preview(text)}): it was sent more than once, or the key has an unquoted comma; send one key`,
    );
  }
  const key = BARE_TOKEN.test(text) ? text : (bareTokenWithParameters(text) ?? decodeStructuredString(text));
  if (key.length === 0) throw new IdempotencyKeyInvalidError(`the ${IDEMPOTENCY_KEY_HEADER} header is an empty string`);
  if (key.length > MAX_HEADER_KEY_LENGTH) {
    throw new IdempotencyKeyInvalidError(`the key is ${key.length} characters long, the limit is ${MAX_HEADER_KEY_LENGTH}`);
  }
  if (!PRINTABLE_ASCII.test(key)) {
    throw new IdempotencyKeyInvalidError('the key must be printable ASCII characters');
  }
  return key;
}

/**
 * The token of a bare token with parameters, which are ignored like a quoted key's, once they
 * parse as RFC 9651 parameters; `undefined` if the text is not of that form.
 */
function bareTokenWithParameters(text: string): string | undefined {
  const match = BARE_TOKEN_THEN_PARAMETERS.exec(text);
  if (!match) return undefined;
  try {
    // The token itself may start with a digit (a UUID), which RFC 9651 tokens may not: check the parameters alone.
    parseItem(`k${match[2]}`);
  } catch (error) {
    throw new IdempotencyKeyInvalidError(`${preview(text)} has malformed parameters after the key`, { cause: error });
  }
  return match[1];
}

function decodeStructuredString(text: string): string {
  let bare: unknown;
  try {
    [bare] = parseItem(text);
  } catch (error) {
    throw new IdempotencyKeyInvalidError(
      `${preview(text)} is neither a quoted string ("abc") nor a bare token of letters, digits and !#$%&'*+-.^_\`|~`,
      { cause: error },
    );
  }
  if (typeof bare === 'string') return bare;
  if (bare instanceof Token) return bare.toString();
  throw new IdempotencyKeyInvalidError(`${preview(text)} is a structured field of another type; send a quoted string`);
}

/** True if the value has a comma outside a quoted string, i.e. it is a list, not one item. */
function hasTopLevelComma(text: string): boolean {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted && char === '\\') i++;
    else if (char === '"') quoted = !quoted;
    else if (char === ',' && !quoted) return true;
  }
  return false;
}

/** A short, safe rendering of a client's value for an error message. */
function preview(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(shown);
}
