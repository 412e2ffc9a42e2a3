import { AsyncLocalStorage } from 'node:async_hooks';

// Which simulated attempt a store call belongs to: the simulator runs each attempt inside one
// of these scopes, and the faulty store tags its log with it, so concurrent attempts stay apart.
const attempts = new AsyncLocalStorage<number>();

/** Runs `fn` (and everything it awaits) as attempt `attempt` of a simulation. */
export function runAsAttempt<T>(attempt: number, fn: () => Promise<T>): Promise<T> {
  return attempts.run(attempt, fn);
}

/** The simulated attempt the caller runs in, if any. */
export function currentAttempt(): number | undefined {
  return attempts.getStore();
}
