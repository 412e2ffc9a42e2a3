import type { HttpEvent } from '../http/http-event.js';

/**
 * A request header by name (case-insensitive), or `undefined` when it was not sent.
 * @throws WebhookVerificationError when the header was sent more than once
 */
export type HeaderLookup = (name: string) => string | undefined;

/**
 * How `webhookIdempotency()` tells a provider's real deliveries from anything else, and which
 * delivery a request is. The presets (`standardWebhooks`, `githubWebhooks`, `stripeWebhooks`)
 * are verifiers; write one for another provider.
 *
 * @example
 * const acme: WebhookVerifier = {
 *   provider: 'acme',
 *   verify: (event, rawBody, header) => acmeSignatureMatches(rawBody, header('x-acme-signature')),
 *   deliveryId: (event, rawBody, header) => header('x-acme-delivery'),
 * };
 */
export interface WebhookVerifier<TEvent extends HttpEvent = HttpEvent> {
  /**
   * Names the provider; part of every stored key, so deliveries of two providers with equal ids
   * never meet. Letters, digits, `-` and `_`.
   * @default 'custom'
   */
  readonly provider?: string;
  /**
   * Checks the request's signature over `rawBody`, the body's exact bytes (base64 bodies
   * decoded), in constant time. Runs before anything else: no store request is made and the
   * handler does not run unless it returns `true`. Return `false`, or throw a
   * `WebhookVerificationError` saying why, to answer 401; any other error propagates (a
   * secret store outage is not the sender's fault).
   */
  verify(event: TEvent, rawBody: Buffer, header: HeaderLookup): boolean | Promise<boolean>;
  /**
   * The delivery's id, which a provider keeps across its retries of one delivery; called only
   * after `verify` returned `true`. `undefined` answers 400.
   */
  deliveryId(event: TEvent, rawBody: Buffer, header: HeaderLookup): string | undefined;
}
