import { complete, decide, release } from './core/engine.js';
import type { LambdaContext } from './core/lambda-types.js';
import { resolveOptions, type IdempotencyOptions } from './core/options.js';
import { callStart, outcomeOfError, reportOutcome } from './core/outcome.js';
import { runWithin } from './steps/scope.js';

/** A plain async Lambda handler; `TContext` is whatever context type it declares (e.g. `Context` from `aws-lambda`). */
export type AsyncHandler<TEvent, TResult, TContext extends LambdaContext = LambdaContext> = (
  event: TEvent,
  context: TContext,
) => Promise<TResult> | TResult;

/**
 * Wraps a plain handler (no Middy) so it runs once per idempotency key and replays its
 * result to retries. The same guarantees as the `idempotency()` middleware.
 *
 * @example
 * export const handler = makeIdempotent(async (event: OrderEvent) => createOrder(event), {
 *   store: new DynamoDBStore(),
 *   key: (event) => event.orderId,
 * });
 */
export function makeIdempotent<TEvent, TResult, TContext extends LambdaContext = LambdaContext>(
  handler: AsyncHandler<TEvent, TResult, TContext>,
  options: IdempotencyOptions<TEvent>,
): (event: TEvent, context: TContext) => Promise<TResult> {
  const resolved = resolveOptions(options);
  return async function idempotentHandler(event: TEvent, context: TContext): Promise<TResult> {
    const startedAt = callStart(resolved);
    const functionName = context?.functionName;
    let decision;
    try {
      decision = await decide(resolved, event, context);
    } catch (error) {
      const outcome = outcomeOfError(error);
      if (outcome) reportOutcome(resolved, functionName, startedAt, outcome);
      throw error;
    }
    if (decision.action === 'replay') {
      reportOutcome(resolved, functionName, startedAt, 'replayed', decision.from);
      return decision.result as TResult;
    }
    // No key under `required: false`: the handler runs as it is, its steps without records.
    if (decision.action === 'bypass') return runWithin({ unclaimed: true }, () => handler(event, context));
    let result: TResult;
    try {
      // The execution rides the handler's async context, so `step(name, fn)` finds it; nothing outside sees it.
      result = await runWithin(decision.execution, () => handler(event, context));
    } catch (error) {
      await release(decision.execution);
      reportOutcome(resolved, functionName, startedAt, 'released');
      throw error;
    }
    const stored = await complete(decision.execution, result);
    reportOutcome(resolved, functionName, startedAt, stored ? 'executed' : 'completion_lost');
    return result;
  };
}
