import type { HandlerRun } from './engine.js';

// The run (claim, or none) a Lambda context object carries, for `step(name, fn, { context })`
// under Middy, where no async scope can wrap the handler: a property under a module-private
// symbol, not enumerable, so spreading, logging or serializing the context does not show it.
// A property rather than a WeakMap entry: a weak entry per invocation cost the garbage collector
// more (`npm run bench`, library CPU). It stays after its run ends, so a step started late is
// refused rather than attached to whatever run the object carries next.
const RUN = Symbol('retry-safe.run');

type Carrier = { [RUN]?: HandlerRun };

/**
 * Makes `run` reachable from the context the handler gets, and returns that context: the
 * invocation's own object the first time (the Lambda runtime gives each invocation its own), or
 * a copy with the same properties and prototype when the object already carried a run, running
 * (callers sharing one object between concurrent invocations, nested idempotent calls) or ended
 * (callers reusing one object), or cannot take one (frozen), so a run is never reachable from
 * another run's context.
 */
export function attachRun<TContext>(context: TContext, run: HandlerRun): TContext {
  let carrier = (typeof context === 'object' && context !== null ? context : {}) as Carrier;
  if (RUN in carrier || !Object.isExtensible(carrier)) carrier = copyOf(carrier);
  // Not enumerable, writable or configurable: the property is this run's for the object's life.
  Object.defineProperty(carrier, RUN, { value: run });
  return carrier as TContext;
}

/** The run a context carries, if any: running, or ended (see {@link hasEnded}). */
export function runOf(context: unknown): HandlerRun | undefined {
  return typeof context === 'object' && context !== null ? (context as Carrier)[RUN] : undefined;
}

/** Marks `run` ended: its handler has finished, so steps may not start in it any more. */
export function endRun(run: HandlerRun): void {
  // A flag on the run rather than a WeakSet entry: one per invocation, and cheaper to collect.
  run.ended = true;
}

/** True once {@link endRun} was called for `run`. */
export function hasEnded(run: HandlerRun): boolean {
  return run.ended === true;
}

/** A copy with the same prototype and property descriptors, less the run it carried. */
function copyOf(source: object): Carrier {
  const copy = Object.create(Object.getPrototypeOf(source)) as Record<PropertyKey, unknown>;
  for (const key of Reflect.ownKeys(source)) {
    if (key === RUN) continue;
    const descriptor = Object.getOwnPropertyDescriptor(source, key) as PropertyDescriptor;
    // Plain data properties by assignment (the same descriptor, several times faster than
    // defining them); accessors and read-only or hidden properties as they are.
    if (descriptor.writable && descriptor.enumerable && descriptor.configurable) copy[key] = descriptor.value;
    else Object.defineProperty(copy, key, descriptor);
  }
  return copy;
}
