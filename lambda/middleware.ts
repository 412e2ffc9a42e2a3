import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import { attachRun, endRun, runOf } from './core/context-run.js';
import { complete, decide, release, type Execution, type HandlerRun } from './core/engine.js';
import { IdempotencyError } from './core/errors.js';
import { resolveOptions, type IdempotencyOptions } from './core/options.js';

/** Where a Middy request keeps the context that carries its run: on the request, never in a closure. */
const CLAIMED_CONTEXT = Symbol('retry-safe.claimed-context');

type RequestWithClaim = Request & { [CLAIMED_CONTEXT]?: object };

/**
 * Middy middleware: runs the handler once per idempotency key and replays its result to retries.
 *
 * Register it after middlewares that parse the event (the key is read in `before`) and before
 * those whose `after` shapes the final response: a replay returns early, skipping every `after`.
 *
 * @example
 * export const handler = middy(processPayment).use(
 *   idempotency({ store: new DynamoDBStore(), key: (event) => event.paymentId }),
 * );
 */
export function idempotency<TEvent = unknown, TResult = unknown>(
  options: IdempotencyOptions<TEvent>,
): MiddlewareObj<TEvent, TResult, Error, Context> {
  const resolved = resolveOptions(options);

  const idempotencyBefore = async (request: Request<TEvent, TResult, Error, Context>): Promise<void> => {
    assertNoRun(request);
    const decision = await decide(resolved, request.event, request.context);
    if (decision.action === 'replay') {
      // `earlyResponse` (Middy 6+) also short-circuits when the stored result is `undefined`.
      request.earlyResponse = decision.result as TResult;
    } else {
      holdRun(request, decision.action === 'run' ? decision.execution : { unclaimed: true });
    }
  };

  const idempotencyAfter = async (request: Request<TEvent, TResult, Error, Context>): Promise<void> => {
    const execution = takeExecution(request);
    if (execution) await complete(execution, request.response);
  };

  const idempotencyOnError = async (request: Request<TEvent, TResult, Error, Context>): Promise<void> => {
    const execution = takeExecution(request);
    if (execution) await releaseIfSettled(request, execution);
  };

  return { before: idempotencyBefore, after: idempotencyAfter, onError: idempotencyOnError };
}

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
export async function releaseIfSettled(request: Request, execution: Execution): Promise<void> {
  if (!mayStillRun(request)) return release(execution);
  execution.options.logger.warn(
    'retry-safe: the invocation timed out with its handler still running; its claim is kept until the lease lapses',
    { id: execution.id },
  );
}

function mayStillRun(request: Request): boolean {
  const cause = (request.error as { cause?: { package?: unknown } } | undefined)?.cause;
  if (cause?.package === '@middy/core') return true;
  const remaining = (request.context as Partial<Context> | undefined)?.getRemainingTimeInMillis?.();
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
