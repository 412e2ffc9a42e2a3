import type { HandlerRun } from './engine.js';

// Which run (claim, or none) each Lambda context object carries while its invocation runs, for
// `step(name, fn, { context })` under Middy, where no async scope can wrap the handler.
// A WeakMap rather than a property: nothing is written to the caller's object, frozen contexts
// work, and an entry never outlives its context.
const runs = new WeakMap<object, HandlerRun>();

/**
 * Makes `run` reachable from the context the handler gets, and returns that context: the
 * invocation's own object (the Lambda runtime gives each invocation one), or a copy of it when
 * another invocation is still using it, so concurrent invocations never see each other's.
 */
export function attachRun<TContext>(context: TContext, run: HandlerRun): TContext {
  let carrier: object = typeof context === 'object' && context !== null ? context : {};
  if (runs.has(carrier)) {
    carrier = Object.create(Object.getPrototypeOf(carrier), Object.getOwnPropertyDescriptors(carrier)) as object;
  }
  runs.set(carrier, run);
  return carrier as TContext;
}

/** Ends what {@link attachRun} began and returns the run the context carried. */
export function detachRun(context: object): HandlerRun | undefined {
  const run = runs.get(context);
  runs.delete(context);
  return run;
}

/** The run a context carries while its invocation runs, if any. */
export function runOf(context: unknown): HandlerRun | undefined {
  return typeof context === 'object' && context !== null ? runs.get(context) : undefined;
}
