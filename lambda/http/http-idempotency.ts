import { claimRequest, type Decision } from '../core/engine.js';
import type { LambdaContext, MiddyMiddleware, MiddyRequest as Request } from '../core/lambda-types.js';
import { outcomeOfError, type OutcomeName } from '../core/outcome.js';
import { resolveOptions, type IdempotencyLogger, type IdempotencyOptions } from '../core/options.js';
import {
  assertNoRun,
  completeRequest,
  holdRun,
  markStart,
  releaseIfSettled,
  reportRequestOutcome,
  takeExecution,
} from '../middy-request.js';
import { defaultScope } from './caller-identity.js';
import { httpEventKind, readHttpEvent, type HttpEvent, type HttpRequestView } from './http-event.js';
import { isStorable, problemResponse, replayResponse, statusOf, type HttpResponse } from './http-response.js';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from './idempotency-key-header.js';
import { httpProblemFor } from './problem-mapping.js';
import { problem, type ProblemKind } from './problem.js';
import { requestFingerprint } from './request-fingerprint.js';
import { IdempotencyError, IdempotencyKeyInvalidError } from '../core/errors.js';

/** Options for {@link httpIdempotency}: the core's, less `key` and `fingerprint`, which HTTP defines. */
export interface HttpIdempotencyOptions<TEvent extends HttpEvent = HttpEvent>
  extends Omit<IdempotencyOptions<TEvent>, 'key' | 'fingerprint' | 'required'> {
  /**
   * Whether a request without an `Idempotency-Key` header is rejected (400); `false` runs it
   * without idempotency.
   * @default true
   */
  readonly required?: boolean;
  /**
   * The methods that take part; requests with any other method pass through untouched.
   * @default ['POST', 'PATCH']
   */
  readonly methods?: readonly string[];
  /**
   * Keeps callers apart: a stored key is `scope + name + key`, so one caller never receives
   * another's stored response. Return `undefined` for a key space shared by every caller.
   * @default - the caller's verified identity: JWT `sub`, Cognito identity id, IAM ARN (an assumed
   * role by its role), Lambda authorizer `principalId`, ALB `x-amzn-oidc-identity`, REST API key id.
   * A request that passed an authorizer naming no caller is refused (`IdempotencyError`); one
   * with no authentication at all shares keys with every caller, and a warning is logged once.
   */
  readonly scope?: (event: TEvent) => string | undefined;
  /**
   * Whether 5xx responses are stored and replayed too (Stripe's behaviour), rather than
   * releasing the key so a retry runs again.
   * @default false
   */
  readonly cacheServerErrors?: boolean;
}

/** The methods that take part by default: the ones that are not idempotent by definition. */
export const DEFAULT_IDEMPOTENT_METHODS: readonly string[] = ['POST', 'PATCH'];

/**
 * Middy middleware giving an HTTP handler the `Idempotency-Key` semantics of the IETF draft
 * and Stripe's API, for API Gateway REST (v1) and HTTP API (v2) events, Function URLs and ALBs.
 *
 * The first request with a key runs the handler and stores its response; a retry gets that
 * response again with `Idempotent-Replayed: true`. A retry while the first still runs gets
 * 409 with `Retry-After`; the key reused for a different request gets 422; a missing or
 * malformed key gets 400; a store outage gets 503. Errors are `application/problem+json`.
 *
 * Register it after middlewares that must see every request (auth) and before those whose
 * `after` shapes the response (CORS, serializers): a replay returns early, skipping every `after`.
 *
 * @example
 * export const handler = middy(createOrder).use(
 *   httpIdempotency({ store: new DynamoDBStore(), name: 'create-order' }),
 * );
 */
export function httpIdempotency<TEvent extends HttpEvent = HttpEvent, TResult = unknown>(
  options: HttpIdempotencyOptions<TEvent>,
): MiddyMiddleware<TEvent, TResult, Error, LambdaContext> {
  const resolved = resolveOptions<TEvent>({ ...options, key: undefined, fingerprint: undefined, required: true });
  const methods = resolveMethods(options.methods);
  const scopeOf = options.scope ?? warnIfUnscoped(defaultScope, resolved.logger);
  const required = options.required ?? true;
  const cacheServerErrors = options.cacheServerErrors ?? false;

  const httpIdempotencyBefore = async (request: Request<TEvent, TResult, Error, LambdaContext>): Promise<void> => {
    assertNoRun(request as Request);
    const http = readHttpEvent(request.event);
    // Other methods run as they are; their steps, like those of a request without a key, run without records.
    if (!methods.has(http.method)) return holdRun(request as Request, { unclaimed: true });
    markStart(request as Request, resolved);
    const answer = await claimFor(http, request.event, request.context);
    if ('response' in answer) {
      reportRequestOutcome(request as Request, resolved, answer.outcome);
      request.earlyResponse = answer.response as TResult;
    } else if (answer.decision.action === 'replay') {
      reportRequestOutcome(request as Request, resolved, 'replayed', answer.decision.from);
      request.earlyResponse = replayResponse(answer.decision.result, http.kind, http.multiValueResponse) as TResult;
    } else {
      holdRun(request as Request, answer.decision.action === 'run' ? answer.decision.execution : { unclaimed: true });
    }
  };

  const httpIdempotencyAfter = async (request: Request<TEvent, TResult, Error, LambdaContext>): Promise<void> => {
    const execution = takeExecution(request as Request);
    if (!execution) return;
    const kind = httpEventKind(request.event) ?? 'rest-v1';
    if (isStorable(statusOf(request.response, kind), cacheServerErrors)) {
      await completeRequest(request as Request, resolved, execution, request.response);
    } else {
      // A 5xx may be a custom `timeoutEarlyResponse`, sent while the handler still runs.
      await releaseIfSettled(request as Request, execution, resolved);
    }
  };

  const httpIdempotencyOnError = async (request: Request<TEvent, TResult, Error, LambdaContext>): Promise<void> => {
    const execution = takeExecution(request as Request);
    if (execution) await releaseIfSettled(request as Request, execution, resolved);
  };

  /** Reads the key and claims it, or says which response to send instead. */
  async function claimFor(
    http: HttpRequestView,
    event: TEvent,
    context: LambdaContext,
  ): Promise<{ decision: Decision } | { response: HttpResponse; outcome: OutcomeName }> {
    const reject = (outcome: OutcomeName, kind: ProblemKind, detail: string, headers?: Record<string, string>) => ({
      response: problemResponse(problem(kind, detail), http.kind, http.multiValueResponse, headers),
      outcome,
    });
    let key: string | undefined;
    try {
      key = parseIdempotencyKey(http.headerValues(IDEMPOTENCY_KEY_HEADER));
    } catch (error) {
      if (error instanceof IdempotencyKeyInvalidError) return reject('key_missing', 'keyInvalid', error.message);
      throw error;
    }
    if (key === undefined) {
      if (!required) return { decision: { action: 'bypass' } };
      return reject(
        'key_missing',
        'keyMissing',
        `${http.method} requests here need an ${IDEMPOTENCY_KEY_HEADER} header, e.g. ${IDEMPOTENCY_KEY_HEADER}: "<a new UUID per operation>"`,
      );
    }
    const scope = scopeOf(event);
    if (scope !== undefined && typeof scope !== 'string') {
      throw new IdempotencyError(`options.scope must return a string or undefined, got ${typeof scope}`);
    }
    try {
      const identity = { key, fingerprint: requestFingerprint(http) };
      return { decision: await claimRequest(resolved, identity, context, scope) };
    } catch (error) {
      const mapped = httpProblemFor(error);
      const outcome = outcomeOfError(error);
      if (!mapped || !outcome) throw error;
      // The engine logged a store failure or a payload mismatch, by record id.
      return reject(outcome, mapped.kind, mapped.detail, mapped.headers);
    }
  }

  return { before: httpIdempotencyBefore, after: httpIdempotencyAfter, onError: httpIdempotencyOnError };
}

/**
 * The default scope, saying once per handler when a request carries no caller identity at all:
 * keys are then shared by every caller, which an open API may want, and must be told.
 */
function warnIfUnscoped<TEvent>(scope: (event: TEvent) => string | undefined, logger: IdempotencyLogger) {
  let warned = false;
  return function scopeOrWarn(event: TEvent): string | undefined {
    const found = scope(event);
    if (found === undefined && !warned) {
      warned = true;
      logger.warn(
        'retry-safe: this request carries no caller identity, so every caller shares one key space; ' +
          'add an authorizer, or pass options.scope (scope: () => undefined to share keys on purpose)',
      );
    }
    return found;
  };
}

function resolveMethods(methods: readonly string[] | undefined): Set<string> {
  const list = methods ?? DEFAULT_IDEMPOTENT_METHODS;
  if (!Array.isArray(list) || list.length === 0 || list.some((m) => typeof m !== 'string' || m === '')) {
    throw new IdempotencyError(`options.methods must be a non-empty list of HTTP methods, got ${JSON.stringify(methods)}`);
  }
  return new Set(list.map((m) => m.toUpperCase()));
}
