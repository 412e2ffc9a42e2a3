import { AsyncLocalStorage } from 'node:async_hooks';
import { endRun, hasEnded, runOf } from '../core/context-run.js';
import type { Execution, HandlerRun } from '../core/engine.js';
import { IdempotencyError } from '../core/errors.js';

/** What `step()` needs from the enclosing run: the claim, and the step names used so far. */
export interface StepScope {
  /** The parent's claim; `undefined` in a run without one (see `UnclaimedRun`). */
  readonly execution: Execution | undefined;
  /** Names already used in this execution: a name used twice is a bug, not a replay. */
  readonly usedNames: Set<string>;
}

// `run()` scopes are entered and left with the handler's promise chain: they never leak into
// the caller's async context, unlike `enterWith()` from a Middy `before` hook.
const currentRun = new AsyncLocalStorage<HandlerRun>();

// One scope per run, however many ways it is reached (async context, Lambda context).
const scopes = new WeakMap<HandlerRun, StepScope>();

/**
 * Runs `fn` with `run` as the one `step(name, fn)` finds, for `fn` and everything it awaits;
 * steps started after `fn` settles are refused.
 */
export async function runWithin<T>(run: HandlerRun, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await currentRun.run(run, fn);
  } finally {
    endRun(run);
  }
}

/**
 * The scope `step(stepName, ...)` runs in: the run on `context` if given and carrying one,
 * else the one of the enclosing `makeIdempotent` call. Throws a clear error outside both,
 * and after the handler of that run has returned.
 */
export function stepScope(stepName: string, context: unknown): StepScope {
  const onContext = runOf(context);
  // A claim on the context is the step's own. A run without one yields to the claim of an
  // enclosing makeIdempotent() call: a claimed handler called, with this context, from an
  // unclaimed Middy one.
  const run = onContext && 'owner' in onContext ? onContext : (currentRun.getStore() ?? onContext);
  if (!run) {
    throw new IdempotencyError(
      `step(${JSON.stringify(stepName)}) was called outside an idempotent execution: call it from a handler ` +
        'wrapped by makeIdempotent(), or, under the idempotency() or httpIdempotency() Middy middleware, ' +
        "pass the handler's context: step(name, fn, { context })",
    );
  }
  if (hasEnded(run)) {
    throw new IdempotencyError(
      `step(${JSON.stringify(stepName)}) was started after its handler returned: await every step in the handler`,
    );
  }
  let scope = scopes.get(run);
  if (!scope) {
    scope = { execution: 'owner' in run ? run : undefined, usedNames: new Set() };
    scopes.set(run, scope);
  }
  return scope;
}
