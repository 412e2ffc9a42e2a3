import type { HandlerRun } from './engine.js';

// Which run (claim, or none) each Lambda context object carried, for `step(name, fn, { context })`
// under Middy, where no async scope can wrap the handler. A WeakMap rather than a property:
// nothing is written to the caller's object, frozen contexts work, and an entry never outlives
// its context. An entry stays after its run ends, so a step started late is refused rather than
// attached to whatever run the object carries next.
const runs = new WeakMap<object, HandlerRun>();

// Runs whose handler has finished: their steps may not start any more.
const endedRuns = new WeakSet<HandlerRun>();

/**
 * Makes `run` reachable from the context the handler gets, and returns that context: the
 * invocation's own object the first time (the Lambda runtime gives each invocation its own), or
 * a copy with the same properties and prototype when the object already carries a run, running
 * (callers sharing one object between concurrent invocations, nested idempotent calls) or ended
 * (callers reusing one object), so a run is never reachable from another run's context.
 */
export function attachRun<TContext>(context: TContext, run: HandlerRun): TContext {
  let carrier: object = typeof context === 'object' && context !== null ? context : {};
  if (runs.has(carrier)) {
    carrier = Object.create(Object.getPrototypeOf(carrier), Object.getOwnPropertyDescriptors(carrier)) as object;
  }
  runs.set(carrier, run);
  return carrier as TContext;
}

/** The run a context carries, if any: running, or ended (see {@link hasEnded}). */
export function runOf(context: unknown): HandlerRun | undefined {
  return typeof context === 'object' && context !== null ? runs.get(context) : undefined;
}

/** Marks `run` ended: its handler has finished, so steps may not start in it any more. */
export function endRun(run: HandlerRun): void {
  endedRuns.add(run);
}

/** True once {@link endRun} was called for `run`. */
export function hasEnded(run: HandlerRun): boolean {
  return endedRuns.has(run);
}
