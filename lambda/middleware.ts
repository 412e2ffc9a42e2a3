import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import { complete, decide, release, type Execution } from './core/engine.js';
import { resolveOptions, type IdempotencyOptions } from './core/options.js';
import { contextWithExecution, detachExecution } from './steps/scope.js';

/** Where this invocation's claim is kept: on the Middy request itself, never in a closure. */
export const EXECUTION = Symbol('retry-safe.execution');

/** Where the context object that carries this invocation's claim for its steps is kept. */
const STEP_CONTEXT = Symbol('retry-safe.step-context');

/** A Middy request carrying this invocation's claim, if it made one. */
export type RequestWithExecution = Request & { [EXECUTION]?: Execution; [STEP_CONTEXT]?: object };

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
    const decision = await decide(resolved, request.event, request.context);
    if (decision.action === 'replay') {
      // `earlyResponse` (Middy 6+) also short-circuits when the stored result is `undefined`.
      request.earlyResponse = decision.result as TResult;
    } else if (decision.action === 'run') {
      holdExecution(request, decision.execution);
    }
  };

  const idempotencyAfter = async (request: Request<TEvent, TResult, Error, Context>): Promise<void> => {
    const execution = takeExecution(request);
    if (execution) await complete(execution, request.response);
  };

  const idempotencyOnError = async (request: Request<TEvent, TResult, Error, Context>): Promise<void> => {
    const execution = takeExecution(request);
    if (execution) await release(execution);
  };

  return { before: idempotencyBefore, after: idempotencyAfter, onError: idempotencyOnError };
}

/**
 * Keeps this invocation's claim on its Middy request, for its `after` and `onError` hooks, and
 * on its Lambda context, for the handler's steps (see `contextWithExecution`).
 */
export function holdExecution(request: Request, execution: Execution): void {
  const holder = request as RequestWithExecution;
  holder[EXECUTION] = execution;
  // For `step(name, fn, { context })`: no async scope can wrap a Middy handler (enterWith from a
  // hook leaks into the caller's context), so the context carries the claim for this invocation.
  request.context = contextWithExecution(request.context, execution);
  holder[STEP_CONTEXT] = request.context;
}

/** Removes and returns this invocation's claim, so `after` and `onError` act on it at most once. */
export function takeExecution(request: Request): Execution | undefined {
  const holder = request as RequestWithExecution;
  const execution = holder[EXECUTION];
  if (execution) detachExecution(holder[STEP_CONTEXT], execution);
  delete holder[EXECUTION];
  delete holder[STEP_CONTEXT];
  return execution;
}
