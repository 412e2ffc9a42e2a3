import { AsyncLocalStorage } from 'node:async_hooks';
import type { Execution } from '../core/engine.js';
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

// The key under which an execution rides on a Lambda context. Module-private: only this file reads it.
const EXECUTION_ON_CONTEXT = Symbol('retry-safe.steps.execution');

// One scope per execution, however many ways it is reached (async context, Lambda context).
const scopes = new WeakMap<Execution, StepScope>();

/** Runs `fn` with `execution` as the one `step(name, fn)` finds, for `fn` and everything it awaits. */
export function runWithExecution<T>(execution: Execution, fn: () => T): T {
  return currentExecution.run(execution, fn);
}

/**
 * Makes `execution` reachable from a Lambda context, for handlers that call
 * `step(name, fn, { context })` (Middy, where no async scope can wrap the handler), and returns
 * the context the handler should get. The Lambda runtime hands every invocation its own context
 * object, so the execution is put on that object itself, under a private, non-enumerable key, and
 * cleared again by {@link detachExecution} when the invocation ends. An object another invocation
 * is still using (callers that share one context object between concurrent invocations), or one that
 * cannot be extended, gets a per-invocation copy instead (same prototype and property descriptors),
 * so invocations never see each other's execution.
 */
export function contextWithExecution<TContext>(context: TContext, execution: Execution): TContext {
  // Marking in place costs a property; a copy of the context cost more than the rest of a first execution.
  if (typeof context === 'object' && context !== null && executionOnContext(context) === undefined) {
    const marked = context as { [EXECUTION_ON_CONTEXT]?: Execution };
    if (Object.hasOwn(context, EXECUTION_ON_CONTEXT)) {
      // Marked and detached before: reuse the key (deleting it would slow every later read of the object).
      marked[EXECUTION_ON_CONTEXT] = execution;
      return context;
    }
    if (Object.isExtensible(context)) {
      Object.defineProperty(context, EXECUTION_ON_CONTEXT, {
        value: execution,
        writable: true,
        configurable: true,
        enumerable: false,
      });
      return context;
    }
  }
  const source: object = typeof context === 'object' && context !== null ? context : {};
  const copy = Object.create(Object.getPrototypeOf(source)) as Record<PropertyKey, unknown>;
  for (const key of Reflect.ownKeys(source)) {
    const descriptor = Object.getOwnPropertyDescriptor(source, key) as PropertyDescriptor;
    // Plain data properties by assignment (the same descriptor, and a fast object); the rest as
    // they are. Defining all of them at once was the largest single cost of a first execution.
    if ('value' in descriptor && descriptor.writable && descriptor.enumerable && descriptor.configurable) {
      copy[key] = descriptor.value;
    } else {
      Object.defineProperty(copy, key, descriptor);
    }
  }
  // Not enumerable: spreading or logging the context does not show it. Writable: detachExecution clears it.
  Object.defineProperty(copy, EXECUTION_ON_CONTEXT, { value: execution, writable: true, configurable: true, enumerable: false });
  return copy as TContext;
}

/**
 * Clears `execution` from a context {@link contextWithExecution} marked in place, when its invocation
 * ends, so the caller's object carries no execution afterwards (the hidden key stays, empty, for the
 * next invocation that reuses the object). A copy, or a mark of another execution, is left alone.
 */
export function detachExecution(context: unknown, execution: Execution): void {
  if (typeof context !== 'object' || context === null || !Object.hasOwn(context, EXECUTION_ON_CONTEXT)) return;
  const marked = context as { [EXECUTION_ON_CONTEXT]?: Execution };
  if (marked[EXECUTION_ON_CONTEXT] === execution) marked[EXECUTION_ON_CONTEXT] = undefined;
}

/** The execution carried by a context from {@link contextWithExecution}, if any. */
export function executionOnContext(context: unknown): Execution | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  return (context as { [EXECUTION_ON_CONTEXT]?: Execution })[EXECUTION_ON_CONTEXT];
}

/**
 * The scope `step(stepName, ...)` runs in: the execution on `context` if given and carrying one,
 * else the one of the enclosing `makeIdempotent` call. Throws a clear error outside both.
 */
export function stepScope(stepName: string, context: unknown): StepScope {
  const execution = executionOnContext(context) ?? currentExecution.getStore();
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
