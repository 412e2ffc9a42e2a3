import type { Context } from 'aws-lambda';
import type { RecordCache } from './cache.js';
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
import { decodeResult, encodeResult, isUnstorable } from './result-codec.js';
import type { ClaimRecord, CompletionRecord, IdempotencyRecord, IdempotencyStore } from './store.js';
import type { IdempotencyLogger } from './options.js';

/** One invocation's claim on one key: created by a successful claim, ended by complete or release. */
export interface Execution {
  /** The record's partition key. */
  readonly id: string;
  /** This invocation's token; completion and release are conditional on it. */
  readonly owner: string;
  /** Hash of the request fingerprint, fixed at claim time. */
  readonly fingerprint: string;
  readonly store: IdempotencyStore;
  readonly ttlSeconds: number;
  readonly logger: IdempotencyLogger;
  /** Epoch milliseconds when the claim was made. */
  readonly startedAtMs: number;
  /** Where the completed record is kept for hot replays, if caching is on. */
  readonly cache?: RecordCache;
}

/** What to do with an invocation, decided before the handler runs. */
export type Decision =
  /** No key and not required: run the handler without idempotency. */
  | { readonly action: 'bypass' }
  /** Completed before: return this result; do not run the handler. */
  | { readonly action: 'replay'; readonly result: unknown }
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
    if (options.key) {
      key = options.key(event, context);
    } else {
      key = eventHash = hashCanonical(event);
    }
  } catch (error) {
    throw new IdempotencyKeyInvalidError('the key could not be read from the event', { cause: error });
  }
  if (key === undefined || key === null) {
    if (options.required) throw new IdempotencyKeyMissingError();
    return undefined;
  }
  const validKey = validateKey(key);
  let fingerprint: string;
  try {
    // With both defaults the key already is the hash of the whole event: hash it once.
    fingerprint = options.fingerprint ? hashCanonical(options.fingerprint(event)) : (eventHash ?? hashCanonical(event));
  } catch (error) {
    throw new IdempotencyError('the request fingerprint could not be computed: it is not JSON-representable', {
      cause: error,
    });
  }
  return { key: validKey, fingerprint };
}

/** The record id for a key: operation name plus a hash of scope and key (the raw key is never stored). */
export function recordId(name: string, key: string, scope?: string): string {
  // Keys cannot contain control characters, so a NUL separator keeps scope and key apart.
  return `${name}#${hashString(scope ? `${scope}\u0000${key}` : key)}`;
}

/** The operation name: configured, from the environment, or from the Lambda context. */
export function operationName(options: ResolvedOptions<unknown>, context: Context | undefined): string {
  const name = options.name ?? context?.functionName;
  if (!name) {
    throw new IdempotencyError(
      'no operation name: pass options.name (outside Lambda there is no AWS_LAMBDA_FUNCTION_NAME or context.functionName)',
    );
  }
  return name;
}

/**
 * Claims the key for this invocation, or says why not: a replay, or a typed error for a
 * key in progress, a payload mismatch or a store failure. The handler has not run yet.
 */
export async function decide<TEvent>(
  options: ResolvedOptions<TEvent>,
  event: TEvent,
  context: Context | undefined,
  scope?: string,
): Promise<Decision> {
  const identity = identify(options, event, context);
  if (!identity) return { action: 'bypass' };
  const id = recordId(operationName(options as ResolvedOptions<unknown>, context), identity.key, scope);
  return claim(options, id, identity.fingerprint, leaseMs(context));
}

/** Claims `id` for a request with this fingerprint hash. */
export async function claim(
  options: Pick<ResolvedOptions<unknown>, 'store' | 'ttlSeconds' | 'logger' | 'cache'>,
  id: string,
  fingerprint: string,
  leaseDurationMs: number,
): Promise<Decision> {
  // A cached record is completed and unexpired: it answers a replay or a mismatch without a request.
  const cached = options.cache?.get(id, Date.now());
  if (cached) {
    const verdict = judgeExisting(cached, fingerprint, Date.now());
    if (verdict !== 'absent') return verdict;
  }
  const owner = ownerToken();
  for (let attempt = 1; ; attempt++) {
    const nowMs = Date.now();
    const leaseExpiresAtMs = nowMs + leaseDurationMs;
    const record: ClaimRecord = {
      id,
      status: 'in-progress',
      fingerprint,
      owner,
      leaseExpiresAtMs,
      // An in-progress record must not expire (and so count as absent) before its lease lapses.
      expiresAtSeconds: Math.max(Math.floor(nowMs / 1000) + options.ttlSeconds, Math.ceil(leaseExpiresAtMs / 1000) + 1),
    };
    let answer;
    try {
      answer = await options.store.claim(record, nowMs);
    } catch (error) {
      throw error instanceof IdempotencyStoreError ? error : new IdempotencyStoreError('claim', { cause: error });
    }
    const execution: Execution = {
      id,
      owner,
      fingerprint,
      store: options.store,
      ttlSeconds: options.ttlSeconds,
      logger: options.logger,
      startedAtMs: nowMs,
      cache: options.cache,
    };
    if (answer.claimed) return { action: 'run', execution };
    const existing = answer.existing;
    // The SDK retried a claim whose first response was lost: the record in the way is our own.
    if (existing?.owner === owner) return { action: 'run', execution };
    const verdict = judgeExisting(existing, fingerprint, Date.now());
    if (verdict !== 'absent') {
      if (verdict.action === 'replay' && existing) options.cache?.set(existing);
      return verdict;
    }
    if (attempt >= CLAIM_ATTEMPTS) throw new IdempotencyInProgressError(0);
  }
}

/** What a record that blocked a claim means for this request; `absent` if it no longer counts. */
function judgeExisting(
  existing: IdempotencyRecord | undefined,
  fingerprint: string,
  nowMs: number,
): Decision | 'absent' {
  if (!existing || existing.expiresAtSeconds < Math.floor(nowMs / 1000)) return 'absent';
  if (existing.fingerprint !== fingerprint) throw new IdempotencyPayloadMismatchError();
  if (existing.status === 'completed') return { action: 'replay', result: replayedResult(existing) };
  const lease = existing.leaseExpiresAtMs ?? 0;
  if (lease < nowMs) return 'absent';
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

/**
 * Stores the handler's result over this execution's claim, retrying store failures with
 * backoff. Never throws: the work is done, so the caller gets its result; failures are logged.
 */
export async function complete(execution: Execution, result: unknown): Promise<void> {
  const encoded = encodeResult(result);
  const record: CompletionRecord = {
    id: execution.id,
    expiresAtSeconds: Math.floor(Date.now() / 1000) + execution.ttlSeconds,
    ...(isUnstorable(encoded) ? { resultUnavailable: encoded.unstorable } : { result: encoded }),
  };
  if (record.resultUnavailable) {
    execution.logger.warn('retry-safe: result not stored; retries will get IdempotencyResultUnavailableError', {
      id: execution.id,
      reason: record.resultUnavailable,
    });
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const written = await execution.store.complete(record, execution.owner);
      if (written) {
        execution.cache?.set({ ...record, status: 'completed', fingerprint: execution.fingerprint });
      } else {
        execution.logger.warn('retry-safe: claim lost before completion (lease lapsed); result not stored', {
          id: execution.id,
        });
      }
      return;
    } catch (error) {
      if (attempt >= COMPLETE_BACKOFF_MS.length) {
        execution.logger.error('retry-safe: could not store the result; a retry after the lease lapses runs again', {
          id: execution.id,
          error,
        });
        return;
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
    await execution.store.release(execution.id, execution.owner);
  } catch (error) {
    execution.logger.error('retry-safe: could not release the claim; retries wait for the lease to lapse', {
      id: execution.id,
      error,
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
