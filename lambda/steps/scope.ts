import { AsyncLocalStorage } from 'node:async_hooks';
import type { Execution } from '../core/engine.js';
import { executionOf } from '../core/context-execution.js';
import { IdempotencyError } from '../core/errors.js';

/** What `step()` needs from the enclosing execution: the claim, and the step names used so far. */
export interface StepScope {
  readonly execution: Execution;
  /** Names already used in this execution: a name used twice is a bug, not a replay. */
  readonly usedNames: Set<string>;
}

// `run()` scopes are entered and left with the handler's promise chain: they never leak into
// the caller's async context, unlike `enterWith()` from a Middy `before` hook.
const currentExecution = new AsyncLocalStorage<Execution>();

// One scope per execution, however many ways it is reached (async context, Lambda context).
const scopes = new WeakMap<Execution, StepScope>();

/** Runs `fn` with `execution` as the one `step(name, fn)` finds, for `fn` and everything it awaits. */
export function runWithExecution<T>(execution: Execution, fn: () => T): T {
  return currentExecution.run(execution, fn);
}

/**
 * The scope `step(stepName, ...)` runs in: the execution on `context` if given and carrying one,
 * else the one of the enclosing `makeIdempotent` call. Throws a clear error outside both.
 */
export function stepScope(stepName: string, context: unknown): StepScope {
  const execution = executionOf(context) ?? currentExecution.getStore();
  if (!execution) {
    throw new IdempotencyError(
      `step(${JSON.stringify(stepName)}) was called outside an idempotent execution: call it from a handler ` +
        'wrapped by makeIdempotent(), or, under the idempotency() or httpIdempotency() Middy middleware, ' +
        "pass the handler's context: step(name, fn, { context }). A request without a key under required: false " +
        'has no execution either',
    );
  }
  let scope = scopes.get(execution);
  if (!scope) {
    scope = { execution, usedNames: new Set() };
    scopes.set(execution, scope);
  }
  return scope;
}
