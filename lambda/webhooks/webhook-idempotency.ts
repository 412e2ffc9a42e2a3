import { claimRequest, complete, release, type Decision } from '../core/engine.js';
import { IdempotencyError, IdempotencyKeyInvalidError } from '../core/errors.js';
import { hashString } from '../core/hash.js';
import type { LambdaContext } from '../core/lambda-types.js';
import { validateKey } from '../core/key.js';
import { resolveOptions, type IdempotencyOptions } from '../core/options.js';
import { callStart, outcomeOfError, reportOutcome, type OutcomeName } from '../core/outcome.js';
import { httpEventKind, readHttpEvent, type HttpEvent, type HttpRequestView } from '../http/http-event.js';
import { isStorable, problemResponse, replayResponse, statusOf, type HttpResponse } from '../http/http-response.js';
import type { Problem } from '../http/problem.js';
import type { AsyncHandler } from '../make-idempotent.js';
import { runWithin } from '../steps/scope.js';
import { WebhookVerificationError } from './errors.js';
import { webhookProblem, webhookProblemFor } from './webhook-problem.js';
import type { HeaderLookup, WebhookVerifier } from './webhook-verifier.js';

/** Options for {@link webhookIdempotency}: where records are kept, and how deliveries are verified. */
export interface WebhookIdempotencyOptions<TEvent extends HttpEvent = HttpEvent>
  extends Pick<IdempotencyOptions<TEvent>, 'store' | 'name' | 'logger' | 'cache' | 'onOutcome'> {
  /**
   * How requests are verified and which delivery each is: `standardWebhooks({ secret })`,
   * `githubWebhooks({ secret })`, `stripeWebhooks({ secret })`, or your own {@link WebhookVerifier}.
   */
  readonly verify: WebhookVerifier<TEvent>;
  /**
   * How long a delivery's response is kept and replayed, in seconds. Longer than the providers'
   * retry schedules, so a retry never runs a delivery twice: Standard Webhooks' example schedule
   * spans 75.5 hours, Stripe retries for up to 3 days, GitHub redelivers on request for 3 days.
   * @default 345600 (4 days)
   */
  readonly ttlSeconds?: number;
}

/** Default retention of a webhook delivery: 4 days, past the 3-day retry windows of Stripe and GitHub and Standard Webhooks' 75.5-hour example schedule. */
export const DEFAULT_WEBHOOK_TTL_SECONDS = 4 * 86_400;

const PROVIDER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Wraps a webhook receiver (API Gateway REST or HTTP API, Function URL, ALB) so it verifies
 * every request's signature before anything else, then runs once per delivery id.
 *
 * - A request that fails verification gets 401 `application/problem+json`; the store is not
 *   touched and the handler does not run.
 * - A provider's retry of a delivery that completed (same id, same body, new timestamp and
 *   signature) gets the first response again, with `Idempotent-Replayed: true`.
 * - A retry while the first delivery still runs gets 409 with `Retry-After`; the same id with a
 *   different body gets 422, and is logged (by record id).
 * - Each call's outcome goes to `onOutcome` as elsewhere, a failed verification as `unverified`.
 * - A handler that throws, or answers 5xx or 429, releases the id so the provider's next retry
 *   runs it; a thrown error propagates (API Gateway and Function URLs answer it with a 5xx).
 *   2xx, 3xx and other 4xx responses are stored.
 *
 * Records are keyed by the delivery id, scoped by the provider and `name`, so two receivers of
 * one provider (GitHub sends one `X-GitHub-Delivery` to every hook on an event) never share them.
 *
 * @example
 * export const handler = webhookIdempotency(
 *   async (event) => {
 *     await recordPayment(JSON.parse(event.body!));
 *     return { statusCode: 204 };
 *   },
 *   { store: new DynamoDBStore(), name: 'stripe-events', verify: stripeWebhooks({ secret: process.env.STRIPE_WEBHOOK_SECRET! }) },
 * );
 */
export function webhookIdempotency<
  TEvent extends HttpEvent = HttpEvent,
  TResult = unknown,
  TContext extends LambdaContext = LambdaContext,
>(
  handler: AsyncHandler<TEvent, TResult, TContext>,
  options: WebhookIdempotencyOptions<TEvent>,
): (event: TEvent, context: TContext) => Promise<TResult | HttpResponse> {
  if (typeof handler !== 'function') throw new IdempotencyError('webhookIdempotency(handler, options): handler must be a function');
  const resolved = resolveOptions<TEvent>({
    ...options,
    ttlSeconds: options?.ttlSeconds ?? DEFAULT_WEBHOOK_TTL_SECONDS,
    key: undefined,
    fingerprint: undefined,
    required: true,
  });
  const verifier = checkVerifier(options.verify);
  const provider = verifier.provider ?? 'custom';

  return async function webhookHandler(event: TEvent, context: TContext): Promise<TResult | HttpResponse> {
    const startedAt = callStart(resolved);
    const report = (outcome: OutcomeName, replayedFrom?: 'cache' | 'table') =>
      reportOutcome(resolved, context?.functionName, startedAt, outcome, replayedFrom);
    const http = readWebhookEvent(event);
    const reject = (problem: Problem, headers?: Record<string, string>): HttpResponse =>
      problemResponse(problem, http.kind, http.multiValueResponse, headers);
    const rawBody = rawBodyOf(http);
    const header = headerLookup(http);

    // Nothing a request says is trusted, or stored, before its signature is.
    try {
      if ((await verifier.verify(event, rawBody, header)) !== true) {
        report('unverified');
        return reject(webhookProblem('signatureInvalid', `the request did not pass the ${provider} verifier`));
      }
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      report('unverified');
      return reject(webhookProblem('signatureInvalid', error.message));
    }

    let key: string;
    try {
      const id = verifier.deliveryId(event, rawBody, header);
      if (id === undefined || id === '') {
        report('key_missing');
        return reject(webhookProblem('deliveryIdInvalid', `the verified request carries no ${provider} delivery id`));
      }
      key = validateKey(id);
    } catch (error) {
      if (!(error instanceof IdempotencyKeyInvalidError || error instanceof WebhookVerificationError)) throw error;
      report('key_missing');
      return reject(webhookProblem('deliveryIdInvalid', `the ${provider} delivery id is unusable: ${error.message}`));
    }

    let decision: Decision;
    try {
      // The fingerprint is the body's exact bytes: a provider's retry resends them unchanged.
      decision = await claimRequest(resolved, { key, fingerprint: hashString(rawBody.toString('base64')) }, context, provider);
    } catch (error) {
      const answer = webhookProblemFor(error);
      const outcome = outcomeOfError(error);
      if (!answer || !outcome) throw error;
      // The engine logged a payload mismatch (the 422) or a store failure (the 503), by record id.
      report(outcome);
      return reject(answer.problem, answer.headers);
    }

    if (decision.action === 'replay') {
      report('replayed', decision.from);
      return replayResponse(decision.result, http.kind, http.multiValueResponse);
    }
    if (decision.action !== 'run') throw new IdempotencyError(`unexpected claim decision: ${decision.action}`);
    const { execution } = decision;
    let response: TResult;
    try {
      response = await runWithin(execution, () => handler(event, context));
    } catch (error) {
      await release(execution);
      report('released');
      throw error;
    }
    if (isStorable(statusOf(response, http.kind), false)) {
      report((await complete(execution, response)) ? 'executed' : 'completion_lost');
    } else {
      await release(execution);
      report('released');
    }
    return response;
  };
}

function checkVerifier<TEvent extends HttpEvent>(verifier: WebhookVerifier<TEvent> | undefined): WebhookVerifier<TEvent> {
  if (!verifier || typeof verifier.verify !== 'function' || typeof verifier.deliveryId !== 'function') {
    throw new IdempotencyError(
      'webhookIdempotency(): options.verify is required: standardWebhooks({ secret }), githubWebhooks({ secret }), ' +
        'stripeWebhooks({ secret }), or { provider, verify(event, rawBody, header), deliveryId(event, rawBody, header) }',
    );
  }
  if (verifier.provider !== undefined && !PROVIDER_NAME.test(verifier.provider)) {
    throw new IdempotencyError(
      `webhookIdempotency(): options.verify.provider must be 1 to 64 letters, digits, - or _, got ${JSON.stringify(verifier.provider)}`,
    );
  }
  return verifier;
}

function readWebhookEvent(event: unknown): HttpRequestView {
  if (!httpEventKind(event)) {
    throw new IdempotencyError(
      'webhookIdempotency() got an event that is not from API Gateway (REST or HTTP API), a Function URL or an ALB',
    );
  }
  return readHttpEvent(event);
}

/** The body's exact bytes, as the provider signed them. */
function rawBodyOf(http: HttpRequestView): Buffer {
  const { body } = http;
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string') {
    // Signatures cover the bytes sent; a parsed and re-serialized body would not verify.
    throw new IdempotencyError('webhookIdempotency() needs the raw event: its body was already parsed; wrap the Lambda handler itself');
  }
  return Buffer.from(body, http.isBase64Encoded ? 'base64' : 'utf8');
}

/** Headers by case-insensitive name; one sent twice is refused rather than guessed at. */
function headerLookup(http: HttpRequestView): HeaderLookup {
  return function webhookHeader(name) {
    const values = http.headerValues(name);
    if (values.length > 1) throw new WebhookVerificationError(`the ${name} header was sent ${values.length} times`);
    return values[0];
  };
}
