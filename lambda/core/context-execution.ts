import type { Execution } from './engine.js';

// Which execution each Lambda context object carries while its invocation runs, for
// `step(name, fn, { context })` under Middy, where no async scope can wrap the handler.
// A WeakMap rather than a property: nothing is written to the caller's object, frozen contexts
// work, and an entry never outlives its context.
const executions = new WeakMap<object, Execution>();

/**
 * Makes `execution` reachable from the context the handler gets, and returns that context: the
 * invocation's own object (the Lambda runtime gives each invocation one), or a copy of it when
 * another invocation is still using it, so concurrent invocations never see each other's.
 */
export function attachExecution<TContext>(context: TContext, execution: Execution): TContext {
  let carrier: object = typeof context === 'object' && context !== null ? context : {};
  if (executions.has(carrier)) {
    carrier = Object.create(Object.getPrototypeOf(carrier), Object.getOwnPropertyDescriptors(carrier)) as object;
  }
  executions.set(carrier, execution);
  return carrier as TContext;
}

/** Ends what {@link attachExecution} began and returns the execution the context carried. */
export function detachExecution(context: object): Execution | undefined {
  const execution = executions.get(context);
  executions.delete(context);
  return execution;
}

/** The execution a context carries while its invocation runs, if any. */
export function executionOf(context: unknown): Execution | undefined {
  return typeof context === 'object' && context !== null ? executions.get(context) : undefined;
}
