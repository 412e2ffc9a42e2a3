import type { LambdaContext as Context } from './lambda-types.js';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  IdempotencyError,
  IdempotencyInProgressError,
  IdempotencyKeyInvalidError,
  IdempotencyKeyMissingError,
  IdempotencyPayloadMismatchError,
  IdempotencyResultUnavailableError,
  IdempotencyStoreError,
} from './errors.js';
import { hashCanonical, hashString } from './hash.js';
import { validateKey } from './key.js';
import { leaseMs } from './lease.js';
import { ownerToken } from './owner-token.js';
import type { ResolvedOptions } from './options.js';
import { decodeResult, encodeResult, isUnstorable, type LossReporter } from './result-codec.js';
import type { CompletionRecord, IdempotencyRecord } from './store.js';

/** What an execution needs from the wrapped handler's options: where and how long to keep records. */
export type ExecutionOptions = Pick<ResolvedOptions<unknown>, 'store' | 'ttlSeconds' | 'logger' | 'cache'>;

/** What every run carries besides its claim: whether its handler has finished. */
export interface RunState {
  /** Set when the handler has finished: steps may not start in this run any more. */
  ended?: boolean;
}

/** One invocation's claim on one key: created by a successful claim, ended by complete or release. */
export interface Execution extends RunState {
  /** The record's partition key. */
  readonly id: string;
  /** This invocation's token; completion and release are conditional on it. */
  readonly owner: string;
  /** Hash of the request fingerprint, fixed at claim time. */
  readonly fingerprint: string;
  /** The store, retention, logger and cache of the handler that claimed (shared, not copied). */
  readonly options: ExecutionOptions;
}

/**
 * A handler run without a claim: no key under `required: false`, or, under `httpIdempotency()`,
 * a method that does not take part. Its steps run their functions without records. One object
 * per invocation, so each run still has its own step names.
 */
export interface UnclaimedRun extends RunState {
  readonly unclaimed: true;
}

/** What a handler runs under, as its steps find it: its claim, or none. */
export type HandlerRun = Execution | UnclaimedRun;

/** What to do with an invocation, decided before the handler runs. */
export type Decision =
  /** No key and not required: run the handler without idempotency. */
  | { readonly action: 'bypass' }
  /** Completed before: return this result, read from the cache or the table; do not run the handler. */
  | { readonly action: 'replay'; readonly result: unknown; readonly from: 'cache' | 'table' }
  /** Claimed: run the handler, then complete or release the execution. */
  | { readonly action: 'run'; readonly execution: Execution };

/** What identifies a request, computed once from the event at claim time. */
export interface RequestIdentity {
  /** The idempotency key, validated. */
  readonly key: string;
  /** Hash of the fingerprint. */
  readonly fingerprint: string;
}

// A claim that races an expiring record is tried again once; more would only mask a clock problem.
const CLAIM_ATTEMPTS = 2;
// Completion is retried after the SDK's own retries: the work is done, losing its record re-runs it.
const COMPLETE_BACKOFF_MS = [50, 200, 800];

/**
 * Reads the key and fingerprint from an event with the configured functions.
 * Returns `undefined` when there is no key and none is required.
 */
export function identify<TEvent>(
  options: ResolvedOptions<TEvent>,
  event: TEvent,
  context: Context | undefined,
): RequestIdentity | undefined {
  let key: unknown;
  let eventHash: string | undefined;
  try {
    key = options.key ? options.key(event, context) : (eventHash = hashCanonical(event));
  } catch (error) {
    throw new IdempotencyKeyInvalidError('the key could not be read from the event', { cause: error });
  }
  if (key == null) {
    if (options.required) throw new IdempotencyKeyMissingError();
    return undefined;
  }
  const validKey = validateKey(key);
  try {
    // With both defaults the key already is the hash of the whole event: hash it once.
    const fingerprint = options.fingerprint ? hashCanonical(options.fingerprint(event)) : (eventHash ?? hashCanonical(event));
    return { key: validKey, fingerprint };
  } catch (error) {
    throw new IdempotencyError('the request fingerprint is not JSON-representable', { cause: error });
  }
}

/** The record id for a key: operation name plus a hash of scope and key (the raw key is never stored). */
export function recordId(name: string, key: string, scope?: string): string {
  // Keys cannot contain control characters, so a NUL separator keeps scope and key apart.
  return `${name}#${hashString(scope ? `${scope}\u0000${key}` : key)}`;
}

/** The operation name: configured, from the environment, or from the Lambda context. */
export function operationName(options: { readonly name?: string }, context: Context | undefined): string {
  // A configured name was validated when the handler was wrapped; Lambda's own names are short.
  if (options.name) return options.name;
  const name = context?.functionName;
  if (!name) throw new IdempotencyError('no operation name: pass options.name when not running in Lambda');
  return name;
}

/**
 * Claims the key for this invocation, or says why not: a replay, or a typed error for a
 * key in progress, a payload mismatch or a store failure. The handler has not run yet.
 * An unusable key or a missing operation name throws at once, before any store request;
 * callers `await` it inside their `try`. Not `async`: each async layer costs every call a
 * promise and a turn of the microtask queue.
 */
export function decide<TEvent>(
  options: ResolvedOptions<TEvent>,
  event: TEvent,
  context: Context | undefined,
): Promise<Decision> {
  const identity = identify(options, event, context);
  return identity ? claimRequest(options, identity, context) : Promise.resolve({ action: 'bypass' });
}

/**
 * Claims the record of a request with this identity for this invocation, as {@link decide}
 * does once it has read the identity from the event; adapters that read it their own way
 * (HTTP) start here. `scope` keeps callers apart: the same key in two scopes is two records.
 * A missing operation name throws at once, as in {@link decide}.
 */
export function claimRequest(
  options: ExecutionOptions & { readonly name?: string },
  identity: RequestIdentity,
  context: Context | undefined,
  scope?: string,
): Promise<Decision> {
  const id = recordId(operationName(options, context), identity.key, scope);
  return claim(options, id, identity.fingerprint, leaseMs(context));
}

/** Claims `id` for a request with this fingerprint hash. */
export async function claim(
  options: ExecutionOptions,
  id: string,
  fingerprint: string,
  leaseDurationMs: number,
): Promise<Decision> {
  // A cached record is completed and unexpired: it answers a replay or a mismatch without a request.
  const cached = options.cache?.get(id, Date.now());
  const answered = cached && judged(options, id, cached, fingerprint, 'cache');
  if (answered) return answered;
  const owner = ownerToken();
  for (let attempt = 1; ; attempt++) {
    const nowMs = Date.now();
    const leaseExpiresAtMs = nowMs + leaseDurationMs;
    let answer;
    try {
      answer = await options.store.claim(
        {
          id,
          status: 'in-progress',
          fingerprint,
          owner,
          leaseExpiresAtMs,
          // An in-progress record must not expire (and so count as absent) before its lease lapses.
          expiresAtSeconds: Math.max(
            Math.floor(nowMs / 1000) + options.ttlSeconds,
            Math.ceil(leaseExpiresAtMs / 1000) + 1,
          ),
        },
        nowMs,
      );
    } catch (error) {
      failedBeforeHandler(options, id, 'claim', 'retry-safe: the idempotency store failed before the handler ran, which did not run', error);
    }
    const existing = answer.claimed ? undefined : answer.existing;
    // The SDK retried a claim whose first response was lost: the record in the way is our own.
    if (answer.claimed || existing?.owner === owner) {
      return { action: 'run', execution: { id, owner, fingerprint, options } };
    }
    const verdict = judged(options, id, existing, fingerprint, 'table');
    if (verdict) return verdict.action === 'replay' && existing ? replayFromTable(options, existing, verdict) : verdict;
    if (attempt >= CLAIM_ATTEMPTS) throw new IdempotencyInProgressError(0);
  }
}

/**
 * The replay of a completed record from the table: its result read from where the store keeps
 * it when not in the record (a large one), then cached as the whole record.
 */
async function replayFromTable(options: ExecutionOptions, existing: IdempotencyRecord, verdict: Decision): Promise<Decision> {
  const ref = existing.resultRef;
  if (!ref) {
    options.cache?.set(existing);
    return verdict;
  }
  let result;
  try {
    if (!options.store.readResult) throw new Error('the store has no readResult for a result kept apart');
    result = await options.store.readResult(ref);
  } catch (error) {
    failedBeforeHandler(
      options,
      existing.id,
      'read of the stored result',
      'retry-safe: the stored result could not be read for a replay; the handler did not run',
      error,
    );
  }
  const record: IdempotencyRecord = { ...existing, result, resultRef: undefined };
  const replayed = replayedResult(record);
  options.cache?.set(record);
  return { action: 'replay', result: replayed, from: 'table' };
}

/** Logs a store failure before the handler ran (by record id) and throws it as an {@link IdempotencyStoreError}. */
function failedBeforeHandler(options: ExecutionOptions, id: string, operation: string, message: string, error: unknown): never {
  const storeError = error instanceof IdempotencyStoreError ? error : new IdempotencyStoreError(operation, { cause: error });
  options.logger.error(message, { id, error: storeError });
  throw storeError;
}

/** {@link judgeExisting}, logging a payload mismatch (by record id only): a client bug or a replayed capture. */
function judged(
  options: ExecutionOptions,
  id: string,
  existing: IdempotencyRecord | undefined,
  fingerprint: string,
  from: 'cache' | 'table',
): Decision | undefined {
  try {
    return judgeExisting(existing, fingerprint, Date.now(), from);
  } catch (error) {
    if (error instanceof IdempotencyPayloadMismatchError) {
      options.logger.warn('retry-safe: a key was reused with a different payload; rejected', { id });
    }
    throw error;
  }
}

/** What a record that blocked a claim means for this request; `undefined` if it no longer counts. */
function judgeExisting(
  existing: IdempotencyRecord | undefined,
  fingerprint: string,
  nowMs: number,
  from: 'cache' | 'table',
): Decision | undefined {
  if (!existing || existing.expiresAtSeconds < Math.floor(nowMs / 1000)) return undefined;
  if (existing.fingerprint !== fingerprint) throw new IdempotencyPayloadMismatchError();
  if (existing.status === 'completed') {
    // A result kept apart is read after this verdict, and only for a replay.
    return { action: 'replay', result: existing.resultRef ? undefined : replayedResult(existing), from };
  }
  const lease = existing.leaseExpiresAtMs ?? 0;
  if (lease < nowMs) return undefined;
  throw new IdempotencyInProgressError(lease - nowMs);
}

/** The result a completed record replays. */
export function replayedResult(record: IdempotencyRecord): unknown {
  if (record.resultUnavailable) throw new IdempotencyResultUnavailableError(record.resultUnavailable);
  try {
    return decodeResult(record.result);
  } catch (error) {
    throw new IdempotencyStoreError('read of the stored result', { cause: error });
  }
}

/** Tells the logger what a result loses on storage, so the difference a replay shows is no surprise. */
export function warnOfLoss(logger: ExecutionOptions['logger'], id: string, step?: string): LossReporter {
  return (lost) =>
    logger.warn(`retry-safe: the result holds ${lost}; a replay returns it as plain data`, step ? { id, step } : { id });
}

/**
 * Stores the handler's result over this execution's claim, retrying store failures with
 * backoff. Never throws: the work is done, so the caller gets its result; failures are logged.
 * @returns whether the record is now completed by this execution (`false`: the completion was lost)
 */
export async function complete(execution: Execution, result: unknown): Promise<boolean> {
  const { id, options } = execution;
  const encoded = encodeResult(result, warnOfLoss(options.logger, id));
  const expiresAtSeconds = Math.floor(Date.now() / 1000) + options.ttlSeconds;
  const { fingerprint } = execution;
  const record: CompletionRecord = isUnstorable(encoded)
    ? { id, fingerprint, expiresAtSeconds, resultUnavailable: encoded.unstorable }
    : { id, fingerprint, expiresAtSeconds, result: encoded };
  if (record.resultUnavailable) {
    options.logger.warn('retry-safe: result not stored; retries get IdempotencyResultUnavailableError', {
      id,
      reason: record.resultUnavailable,
    });
  }
  for (let attempt = 0; ; attempt++) {
    try {
      if (await options.store.complete(record, execution.owner)) {
        options.cache?.set({ ...record, status: 'completed' });
        return true;
      }
      options.logger.warn('retry-safe: lease lapsed before completion; result not stored', { id });
      return false;
    } catch (error) {
      if (attempt >= COMPLETE_BACKOFF_MS.length) {
        options.logger.error('retry-safe: result not stored; a retry after the lease runs again', { id, error });
        return false;
      }
      await sleep(COMPLETE_BACKOFF_MS[attempt] * (0.5 + Math.random()));
    }
  }
}

/**
 * Deletes this execution's claim so a retry runs again (the handler failed). Never throws:
 * if the delete fails, the claim still lapses with its lease.
 */
export async function release(execution: Execution): Promise<void> {
  try {
    await execution.options.store.release(execution.id, execution.owner);
  } catch (error) {
    execution.options.logger.error('retry-safe: claim not released; retries wait for the lease', {
      id: execution.id,
      error,
    });
  }
}
