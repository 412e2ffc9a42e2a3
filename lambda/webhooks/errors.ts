import { IdempotencyError } from '../core/errors.js';

/**
 * A webhook request failed verification: a missing or malformed signature header, no signature
 * that matches, or a timestamp outside the tolerance. `webhookIdempotency()` answers it with 401
 * before any store request; the message says which check failed and never includes a secret.
 * Throw it from a custom verifier to reject a request with your own reason.
 */
export class WebhookVerificationError extends IdempotencyError {
  // A literal: minifiers rename classes (see core/errors.ts).
  override readonly name = 'WebhookVerificationError';

  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
  }
}
