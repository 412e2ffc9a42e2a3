import { randomBytes } from 'node:crypto';
import { IdempotencyError, IdempotencyPayloadMismatchError } from '../core/errors.js';
import { replayedResult, warnOfLoss, type Execution } from '../core/engine.js';
import { hashString } from '../core/hash.js';
import { validateKey } from '../core/key.js';
import { DEFAULT_LEASE_MS } from '../core/lease.js';
import type { Replayed } from '../core/replayed.js';
import { encodeResult, isUnstorable } from '../core/result-codec.js';
import { StepInterruptedError } from './errors.js';
import { stepScope } from './scope.js';
import { stepStoreFor, type StepRecord, type StepStore } from './step-store.js';

/** Longest step name, in characters. */
const MAX_STEP_NAME_LENGTH = 255;

/** Options for {@link step}. */
export interface StepOptions {
  /**
   * Record the step's start before running it. A retry that finds it started but not finished
   * (a crash, a timeout, or `fn` threw) throws `StepInterruptedError` instead of running `fn`
   * again: for effects that cannot be made idempotent downstream.
   * @default false - at least once: a step interrupted before its result was recorded runs again
   */
  readonly atMostOnce?: boolean;
  /**
   * The Lambda context the handler received. Needed under the `idempotency()` and
   * `httpIdempotency()` Middy middlewares, which carry the execution on it.
   * @default - the execution of the enclosing `makeIdempotent()` call
   */
  readonly context?: object;
}

/** A step's function: called with the step's derived idempotency key, to pass downstream. */
export type StepFunction<T> = (key: string) => Promise<T> | T;

/**
 * Longest a parent claim can outlive the moment a step was used: its lease (Lambda's longest
 * timeout plus the margin). Added to every step record's retention.
 */
const LEASE_SLACK_SECONDS = Math.ceil(DEFAULT_LEASE_MS / 1000);
// Attempts to record a step's outcome after `fn` succeeded: its effect happened, losing the record costs a re-run.
const RECORD_BACKOFF_MS = [50, 200, 800];
// A start that races an expiring record is tried again once, as a parent claim is.
const START_ATTEMPTS = 2;

/**
 * Runs one side effect of an idempotent handler at most once per successful recording: a retry
 * of the parent that reaches a completed step gets its recorded result without running `fn`.
 *
 * Call it inside a handler wrapped by `makeIdempotent()`; under the Middy middlewares pass the
 * handler's context (`{ context }`). Each name may be used once per execution. The result is
 * stored like a handler's: JSON data, `Date`, `Map`, `Set`, `BigInt` and typed arrays replay as
 * equal values; a class instance replays as plain data (logged on the first run): return data.
 *
 * @returns what `fn` returned; on a retry that replays the step, its stored copy, typed
 *   {@link Replayed} (the same type for plain data; a class instance's methods are gone)
 * @param name names the step within its handler: stable across deployments, unique per execution
 * @param fn does the work; receives a derived idempotency key, the same on every retry, different
 *   for every step and every parent key: pass it to the payment provider, the mailer
 * @example
 * const charge = await step('charge', (key) => payments.charge({ amountCents, idempotencyKey: key }), { context });
 */
export async function step<T>(name: string, fn: StepFunction<T>, options: StepOptions = {}): Promise<Replayed<T>> {
  validateStepName(name);
  if (typeof fn !== 'function') {
    throw new IdempotencyError(`step(${JSON.stringify(name)}) needs a function, got ${typeof fn}`);
  }
  const scope = stepScope(name, options.context);
  if (scope.usedNames.has(name)) {
    throw new IdempotencyError(
      `step name ${JSON.stringify(name)} was already used in this execution; give every step its own name`,
    );
  }
  scope.usedNames.add(name);
  const { execution } = scope;
  // A run without a claim (no key under `required: false`, or a method httpIdempotency() skips)
  // is not idempotent, nor are its steps:
  // `fn` runs with a key of its own, so downstream deduplication never matches another request's.
  if (!execution) return (await fn(randomBytes(16).toString('base64url'))) as Replayed<T>;
  const call: StepCall<T> = {
    name,
    fn,
    execution,
    store: stepStoreFor(execution.options.store),
    id: stepRecordId(execution.id, name),
    key: stepKey(execution.id, name),
  };
  // The first run returns `fn`'s own value, a replay its stored copy: `Replayed<T>` covers both.
  return (await (options.atMostOnce ? runAtMostOnce(call) : runAtLeastOnce(call))) as Replayed<T>;
}

/** The step record's partition key: the parent record's id plus a hash of the step name. */
export function stepRecordId(parentId: string, name: string): string {
  return `${parentId}#step#${hashString(name)}`;
}

/** The derived key handed to a step's function: a hash of the parent record's id and the step name. */
export function stepKey(parentId: string, name: string): string {
  // A separate domain from the record id: the key goes to other systems, the id stays in the table.
  return hashString(`retry-safe step key\u0000${parentId}\u0000${name}`);
}

interface StepCall<T> {
  readonly name: string;
  readonly fn: StepFunction<T>;
  readonly execution: Execution;
  readonly store: StepStore;
  readonly id: string;
  readonly key: string;
}

function validateStepName(name: unknown): void {
  try {
    validateKey(name, MAX_STEP_NAME_LENGTH);
  } catch (error) {
    throw new IdempotencyError(
      `invalid step name ${JSON.stringify(name)}: use a non-empty string of at most 255 printable characters`,
      { cause: error },
    );
  }
}

/** At least once: one consistent read; a completed step replays, anything else runs and is recorded. */
async function runAtLeastOnce<T>(call: StepCall<T>): Promise<T> {
  const { execution } = call;
  const found = call.execution.options.cache?.get(call.id, Date.now()) ?? (await call.store.readStep(call.id));
  const existing = live(found, Date.now());
  if (existing) {
    assertSamePayload(existing, execution);
    if (existing.status === 'completed') return replay(call, existing);
    // Started by an at-most-once run of this name (an earlier deployment): at least once may run it again.
  }
  const result = await call.fn(call.key);
  const encoded = encodeResult(result, warnOfLoss(execution.options.logger, call.id, call.name));
  if (isUnstorable(encoded)) {
    execution.options.logger.warn('retry-safe: step result not stored; a retry of the parent runs the step again', {
      id: call.id,
      step: call.name,
      reason: encoded.unstorable,
    });
    return result;
  }
  const record: StepRecord = {
    id: call.id,
    status: 'completed',
    fingerprint: execution.fingerprint,
    expiresAtSeconds: retainUntilSeconds(execution, Date.now()),
    result: encoded,
  };
  const answer = await withBackoff(call, () => call.store.recordStep(record, Date.now()));
  if (!answer) return result;
  if (answer.written) {
    execution.options.cache?.set(record);
    return result;
  }
  // Another execution of this parent (one whose lease lapsed while it ran) recorded the step first:
  // every execution returns that one recorded result, so the parent's final result is the same.
  const winner = live(answer.existing, Date.now());
  if (!winner) return result;
  assertSamePayload(winner, execution);
  return replay(call, winner);
}

/** At most once: a conditional start write, `fn`, then the outcome; a started step is never re-run. */
async function runAtMostOnce<T>(call: StepCall<T>): Promise<T> {
  const { execution } = call;
  const cached = execution.options.cache?.get(call.id, Date.now());
  if (cached) {
    assertSamePayload(cached, execution);
    return replay(call, cached);
  }
  for (let attempt = 1; ; attempt++) {
    const nowMs = Date.now();
    const started: StepRecord = {
      id: call.id,
      status: 'in-progress',
      fingerprint: execution.fingerprint,
      owner: execution.owner,
      expiresAtSeconds: retainUntilSeconds(execution, nowMs),
    };
    const answer = await call.store.startStep(started, nowMs);
    if (answer.written) break;
    const existing = live(answer.existing, Date.now());
    if (existing) {
      assertSamePayload(existing, execution);
      if (existing.status === 'completed') return replay(call, existing);
      // The SDK retried a start whose first response was lost: the record in the way is our own.
      if (existing.owner === execution.owner) break;
      throw new StepInterruptedError(call.name, call.key, call.id);
    }
    // The record in the way expired between the write and now: try once more; more would mask a clock problem.
    if (attempt >= START_ATTEMPTS) throw new StepInterruptedError(call.name, call.key, call.id);
  }
  // If `fn` throws, the start stays: the error does not prove the effect did not happen.
  const result = await call.fn(call.key);
  const encoded = encodeResult(result, warnOfLoss(execution.options.logger, call.id, call.name));
  const finished: StepRecord = {
    id: call.id,
    status: 'completed',
    fingerprint: execution.fingerprint,
    expiresAtSeconds: retainUntilSeconds(execution, Date.now()),
    // An unstorable result still marks the step done: retries get IdempotencyResultUnavailableError, never a re-run.
    ...(isUnstorable(encoded) ? { resultUnavailable: encoded.unstorable } : { result: encoded }),
  };
  if (finished.resultUnavailable) {
    execution.options.logger.warn('retry-safe: step result not stored; retries of the parent get IdempotencyResultUnavailableError', {
      id: call.id,
      step: call.name,
      reason: finished.resultUnavailable,
    });
  }
  const written = await withBackoff(call, () => call.store.finishStep(finished, execution.owner));
  if (written === false) {
    execution.options.logger.warn('retry-safe: step outcome not written: the step is no longer started by this execution', {
      id: call.id,
      step: call.name,
    });
  } else if (written) {
    execution.options.cache?.set(finished);
  }
  return result;
}

/** A record that still counts: present and not past its expiry (DynamoDB's TTL deletes late). */
function live(record: StepRecord | undefined, nowMs: number): StepRecord | undefined {
  if (!record || record.expiresAtSeconds < Math.floor(nowMs / 1000)) return undefined;
  return record;
}

/** Step records belong to the parent's fingerprint: another payload under the key never gets them. */
function assertSamePayload(record: StepRecord, execution: Execution): void {
  if (record.fingerprint !== execution.fingerprint) throw new IdempotencyPayloadMismatchError();
}

/**
 * Until when a step record used now is kept: the parent's retention twice over, plus the longest
 * lease. It outlives every parent record of an execution that used it; a replay extends it again
 * once less than one retention is left.
 */
function retainUntilSeconds(execution: Execution, nowMs: number): number {
  return Math.floor(nowMs / 1000) + 2 * execution.options.ttlSeconds + LEASE_SLACK_SECONDS;
}

/** Returns a completed step's recorded result, first extending its life if the parent may outlive it. */
async function replay<T>(call: StepCall<T>, record: StepRecord): Promise<T> {
  const nowMs = Date.now();
  const neededSeconds = Math.floor(nowMs / 1000) + call.execution.options.ttlSeconds + LEASE_SLACK_SECONDS;
  let kept = record;
  if (record.expiresAtSeconds < neededSeconds) {
    const expiresAtSeconds = retainUntilSeconds(call.execution, nowMs);
    try {
      await call.store.extendStep(call.id, expiresAtSeconds);
      kept = { ...record, expiresAtSeconds };
    } catch (error) {
      // The record is valid now; only a much later retry could miss it. Not worth failing the parent.
      call.execution.options.logger.error('retry-safe: could not extend a step record; a retry after it expires runs the step again', {
        id: call.id,
        step: call.name,
        error,
      });
    }
  }
  call.execution.options.cache?.set(kept);
  return replayedResult(kept) as T;
}

/**
 * Runs a write of a step's outcome, retrying store failures with backoff. Never throws: the
 * effect happened, so the caller gets its result; a lost record is logged (the step then runs
 * again on a retry if at least once, or refuses to if at most once).
 */
async function withBackoff<T, R>(call: StepCall<T>, write: () => Promise<R>): Promise<R | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= RECORD_BACKOFF_MS.length) {
        call.execution.options.logger.error('retry-safe: could not record a step outcome', {
          id: call.id,
          step: call.name,
          error,
        });
        return undefined;
      }
      await sleep(RECORD_BACKOFF_MS[attempt] * (0.5 + Math.random()));
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
