import {
  IdempotencyInProgressError,
  IdempotencyKeyInvalidError,
  IdempotencyKeyMissingError,
  IdempotencyPayloadMismatchError,
  IdempotencyResultUnavailableError,
  IdempotencyStoreError,
} from './errors.js';
import type { IdempotencyLogger } from './options.js';

/**
 * What became of one call (one record, in a batch):
 * - `executed`: the handler ran and its result was stored;
 * - `replayed`: a stored result answered it (see `replayedFrom`);
 * - `in_progress`: another invocation holds the key;
 * - `mismatch`: the key was used before for a different payload;
 * - `released`: the handler threw and its claim was released for a retry;
 * - `completion_lost`: the handler ran (or timed out running) but its result was not stored;
 * - `store_error`: the store failed before the handler ran, which did not run;
 * - `key_missing`: no usable key (missing, or invalid) and one is required;
 * - `unverified`: a webhook request failed signature verification (`webhookIdempotency()`),
 *   and was refused before any store request.
 */
export type OutcomeName =
  | 'executed'
  | 'replayed'
  | 'in_progress'
  | 'mismatch'
  | 'released'
  | 'completion_lost'
  | 'store_error'
  | 'key_missing'
  | 'unverified';

/** One call's outcome, as `onOutcome` receives it. Never holds a key, a payload or a result. */
export interface IdempotencyOutcome {
  readonly outcome: OutcomeName;
  /** The operation's name (`options.name`, else the function's). */
  readonly name: string;
  /** From the start of the call to its outcome, in milliseconds. */
  readonly durationMs: number;
  /** `replayed` only: whether the record came from the in-memory cache or the table. */
  readonly replayedFrom?: 'cache' | 'table';
}

/** Receives each call's outcome, once; e.g. `emfMetrics(...)`. Errors it throws are logged, never the caller's. */
export type OutcomeListener = (outcome: IdempotencyOutcome) => void;

/** What reporting needs from a wrapper's options. */
export interface OutcomeOptions {
  readonly onOutcome?: OutcomeListener;
  readonly name?: string;
  readonly logger: IdempotencyLogger;
}

/** When a call started, for its outcome's duration; `0` when nobody listens, so unused it costs nothing. */
export function callStart(options: OutcomeOptions): number {
  return options.onOutcome ? performance.now() : 0;
}

/** Reports one call's outcome to `options.onOutcome`, if set. */
export function reportOutcome(
  options: OutcomeOptions,
  functionName: string | undefined,
  startedAtMs: number,
  outcome: OutcomeName,
  replayedFrom?: 'cache' | 'table',
): void {
  const listener = options.onOutcome;
  if (!listener) return;
  const report: IdempotencyOutcome = {
    outcome,
    name: options.name ?? functionName ?? 'unknown',
    durationMs: performance.now() - startedAtMs,
    ...(replayedFrom ? { replayedFrom } : {}),
  };
  try {
    listener(report);
  } catch (error) {
    options.logger.error('retry-safe: onOutcome threw; the call itself is unaffected', { error });
  }
}

/** The outcome an error thrown before the handler ran stands for, or `undefined` for any other error. */
export function outcomeOfError(error: unknown): OutcomeName | undefined {
  if (error instanceof IdempotencyInProgressError) return 'in_progress';
  if (error instanceof IdempotencyPayloadMismatchError) return 'mismatch';
  if (error instanceof IdempotencyStoreError) return 'store_error';
  if (error instanceof IdempotencyKeyMissingError || error instanceof IdempotencyKeyInvalidError) return 'key_missing';
  // A completed record whose result could not be kept: the call was answered from the record.
  if (error instanceof IdempotencyResultUnavailableError) return 'replayed';
  return undefined;
}
