/**
 * What a Middy request carries for retry-safe between its hooks: its run (the claim, or none),
 * when it started, and its outcome. Shared by `idempotency()` and `httpIdempotency()`, which
 * differ only in how they read a request and answer it.
 */
import { attachRun, endRun, runOf } from './core/context-run.js';
import { complete, release, type Execution, type HandlerRun } from './core/engine.js';
import { IdempotencyError } from './core/errors.js';
import type { LambdaContext, MiddyRequest as Request } from './core/lambda-types.js';
import { outcomeOfError, reportOutcome, type OutcomeName, type OutcomeOptions } from './core/outcome.js';

/** Where a Middy request keeps the context that carries its run: on the request, never in a closure. */
const CLAIMED_CONTEXT = Symbol('retry-safe.claimed-context');
/** Where a Middy request keeps when its call started, for its outcome's duration (only with `onOutcome`). */
const STARTED_AT = Symbol('retry-safe.started-at');

type RequestWithClaim = Request & { [CLAIMED_CONTEXT]?: object; [STARTED_AT]?: number };

/**
 * How close to its deadline an invocation may fail with its handler still running: Middy's
 * early timeout (`timeoutEarlyInMillis`, 5 ms by default) settles the invocation that long
 * before the deadline and leaves the handler going.
 */
export const EARLY_TIMEOUT_WINDOW_MS = 1_000;

/**
 * Releases the claim of a run that failed, so a retry runs again, unless its handler may still
 * be running: a Middy hook cannot see the handler's promise, and Middy's early timeout answers
 * the invocation without stopping the handler. Releasing then would let a retry run it a
 * second time; the claim is kept until its lease lapses, as a crashed invocation's is. A
 * timeout is known by Middy's own error, or, for a custom `timeoutEarlyResponse`, by the
 * invocation being within {@link EARLY_TIMEOUT_WINDOW_MS} of its deadline.
 */
export async function releaseIfSettled(request: Request, execution: Execution, options: OutcomeOptions): Promise<void> {
  if (!mayStillRun(request)) {
    await release(execution);
    return reportRequestOutcome(request, options, 'released');
  }
  execution.options.logger.warn(
    'retry-safe: the invocation timed out with its handler still running; its claim is kept until the lease lapses',
    { id: execution.id },
  );
  // Its result will not be stored: what the handler did is not on record, as with a lost completion.
  reportRequestOutcome(request, options, 'completion_lost');
}

/** Stores a run's result and reports `executed`, or `completion_lost` if the store did not take it. */
export async function completeRequest(
  request: Request,
  options: OutcomeOptions,
  execution: Execution,
  result: unknown,
): Promise<void> {
  const stored = await complete(execution, result);
  reportRequestOutcome(request, options, stored ? 'executed' : 'completion_lost');
}

/** Notes when a Middy call started, if anyone listens for its outcome. */
export function markStart(request: Request, options: OutcomeOptions): void {
  if (options.onOutcome) (request as RequestWithClaim)[STARTED_AT] = performance.now();
}

/** Reports a Middy call's outcome, once its hooks know it. */
export function reportRequestOutcome(
  request: Request,
  options: OutcomeOptions,
  outcome: OutcomeName,
  replayedFrom?: 'cache' | 'table',
): void {
  if (options.onOutcome) {
    const startedAt = (request as RequestWithClaim)[STARTED_AT] ?? performance.now();
    reportOutcome(options, (request.context as Partial<LambdaContext> | undefined)?.functionName, startedAt, outcome, replayedFrom);
  }
}

/** Reports the outcome an error thrown before the handler stands for, if it stands for one. */
export function reportErrorOutcome(request: Request, options: OutcomeOptions, error: unknown): void {
  const outcome = outcomeOfError(error);
  if (outcome) reportRequestOutcome(request, options, outcome);
}

function mayStillRun(request: Request): boolean {
  const cause = (request.error as { cause?: { package?: unknown } } | undefined)?.cause;
  if (cause?.package === '@middy/core') return true;
  const remaining = (request.context as Partial<LambdaContext> | undefined)?.getRemainingTimeInMillis?.();
  return typeof remaining === 'number' && remaining <= EARLY_TIMEOUT_WINDOW_MS;
}

/**
 * Throws if another idempotency middleware already holds a run on this request: two would share
 * one slot, and the claim of the first would never be completed or released.
 */
export function assertNoRun(request: Request): void {
  if ((request as RequestWithClaim)[CLAIMED_CONTEXT]) {
    throw new IdempotencyError('use one idempotency middleware per handler: idempotency() or httpIdempotency()');
  }
}

/**
 * Keeps this invocation's run (its claim, or none) for its `after` and `onError` hooks, and on
 * its Lambda context for the handler's steps: `step(name, fn, { context })` (no async scope can
 * wrap a Middy handler; `enterWith` from a hook would leak into the caller's async context).
 */
export function holdRun(request: Request, run: HandlerRun): void {
  request.context = attachRun(request.context, run);
  (request as RequestWithClaim)[CLAIMED_CONTEXT] = request.context;
}

/**
 * Ends this invocation's run and returns its claim, if it made one, so `after` and `onError`
 * act on it at most once. Steps started afterwards are refused.
 */
export function takeExecution(request: Request): Execution | undefined {
  const holder = request as RequestWithClaim;
  const context = holder[CLAIMED_CONTEXT];
  if (!context) return undefined;
  // Undefined rather than deleted: a delete would make the request object slower to read.
  holder[CLAIMED_CONTEXT] = undefined;
  const run = runOf(context);
  if (!run) return undefined;
  endRun(run);
  return 'owner' in run ? run : undefined;
}
