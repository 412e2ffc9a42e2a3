import { decide } from './core/engine.js';
import type { LambdaContext, MiddyMiddleware, MiddyRequest as Request } from './core/lambda-types.js';
import { resolveOptions, type IdempotencyOptions } from './core/options.js';
import {
  assertNoRun,
  completeRequest,
  holdRun,
  markStart,
  releaseIfSettled,
  reportErrorOutcome,
  reportRequestOutcome,
  takeExecution,
} from './middy-request.js';

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
): MiddyMiddleware<TEvent, TResult, Error, LambdaContext> {
  const resolved = resolveOptions(options);

  const idempotencyBefore = async (request: Request<TEvent, TResult, Error, LambdaContext>): Promise<void> => {
    assertNoRun(request);
    markStart(request, resolved);
    let decision;
    try {
      decision = await decide(resolved, request.event, request.context);
    } catch (error) {
      reportErrorOutcome(request, resolved, error);
      throw error;
    }
    if (decision.action === 'replay') {
      reportRequestOutcome(request, resolved, 'replayed', decision.from);
      // `earlyResponse` (Middy 6+) also short-circuits when the stored result is `undefined`.
      request.earlyResponse = decision.result as TResult;
    } else {
      holdRun(request, decision.action === 'run' ? decision.execution : { unclaimed: true });
    }
  };

  // `after` and `onError` are not `async`: an async layer over the promise they return would
  // cost every call another promise and turn of the microtask queue.
  const idempotencyAfter = (request: Request<TEvent, TResult, Error, LambdaContext>): Promise<void> => {
    const execution = takeExecution(request);
    return execution ? completeRequest(request, resolved, execution, request.response) : Promise.resolve();
  };

  const idempotencyOnError = (request: Request<TEvent, TResult, Error, LambdaContext>): Promise<void> => {
    const execution = takeExecution(request);
    return execution ? releaseIfSettled(request, execution, resolved) : Promise.resolve();
  };

  return { before: idempotencyBefore, after: idempotencyAfter, onError: idempotencyOnError };
}
