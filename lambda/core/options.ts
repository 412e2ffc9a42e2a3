import type { LambdaContext as Context } from './lambda-types.js';
import type { RecordCache } from './cache.js';
import { IdempotencyError } from './errors.js';
import { jsonConsoleLogger } from './json-logger.js';
import type { OutcomeListener } from './outcome.js';
import type { IdempotencyStore } from './store.js';

/** Where problems that must not fail the caller (a lost completion write) are reported. */
export interface IdempotencyLogger {
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

/** Options shared by `idempotency()` and `makeIdempotent()`. */
export interface IdempotencyOptions<TEvent = unknown> {
  /** Where records are kept, e.g. `new DynamoDBStore()`. */
  readonly store: IdempotencyStore;
  /**
   * The operation's name, part of every stored key, so functions sharing one table never collide.
   * @default - `AWS_LAMBDA_FUNCTION_NAME`, else `context.functionName`
   */
  readonly name?: string;
  /**
   * Where the idempotency key comes from. Return `undefined` when the event carries none.
   * @default - a canonical hash of the whole event
   */
  readonly key?: (event: TEvent, context: Context | undefined) => string | undefined;
  /**
   * What must be identical when a key is reused; hashed canonically (key order and
   * whitespace do not count). A reuse with a different fingerprint is rejected.
   * @default - the whole event
   */
  readonly fingerprint?: (event: TEvent) => unknown;
  /**
   * Whether a missing key is an error (`IdempotencyKeyMissingError`); `false` runs the handler
   * without idempotency instead.
   * @default true
   */
  readonly required?: boolean;
  /**
   * How long a completed result is kept and replayed, in seconds.
   * @default 86400 (24 hours)
   */
  readonly ttlSeconds?: number;
  /**
   * Receives problems that are logged rather than thrown, and rejections worth a look (a key
   * reused with another payload, a store failure), each with the hashed record id only.
   * @default - JSON lines on the console (`{"level":"WARN","message":...,"id":...}`)
   */
  readonly logger?: IdempotencyLogger;
  /**
   * Keep completed records in memory, e.g. `new RecordCache({ maxEntries: 1000 })`, so a hot
   * replay costs no DynamoDB request. Only completed records are kept, never past their expiry;
   * a record deleted from the table by hand is still replayed from a warm container until it
   * expires. Give each handler its own cache: records are found by id alone, and two handlers
   * share ids when they share a `name` (by default the function's). An instance rather than a
   * flag, so handlers without a cache do not bundle it.
   * @default - no cache: every call reads the table
   */
  readonly cache?: RecordCache;
  /**
   * Called once with the outcome of every call that takes part in idempotency (`executed`,
   * `replayed`, `in_progress`, `mismatch`, `released`, `completion_lost`, `store_error`,
   * `key_missing`), its operation name and duration: for your own telemetry, or
   * `emfMetrics({ namespace })` for CloudWatch metrics. Never given a key, payload or result.
   * @default - no outcome reporting
   */
  readonly onOutcome?: OutcomeListener;
}

/** Options after defaults and validation; built once per wrapped handler. */
export interface ResolvedOptions<TEvent> {
  readonly store: IdempotencyStore;
  readonly name: string | undefined;
  readonly key: ((event: TEvent, context: Context | undefined) => string | undefined) | undefined;
  readonly fingerprint: ((event: TEvent) => unknown) | undefined;
  readonly required: boolean;
  readonly ttlSeconds: number;
  readonly logger: IdempotencyLogger;
  /** Completed records kept in memory; absent when `options.cache` is not set. */
  readonly cache?: RecordCache;
  /** Receives each call's outcome; absent when `options.onOutcome` is not set. */
  readonly onOutcome?: OutcomeListener;
}

/** Default retention: a day, the usual answer for retried requests (Stripe keeps keys 24 hours). */
export const DEFAULT_TTL_SECONDS = 86_400;

/**
 * Longest operation name, in UTF-8 bytes. It starts every record id, and DynamoDB refuses a
 * partition key over 2048 bytes: the rest of the id (hashes, a step's suffix) takes under 60.
 */
export const MAX_NAME_BYTES = 1024;

/** Returns the name if it can start a record id, else throws saying why. */
export function validateName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new IdempotencyError(`options.name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_NAME_BYTES) {
    throw new IdempotencyError(`options.name is ${bytes} bytes long, the limit is ${MAX_NAME_BYTES}: it is part of every record's key`);
  }
  return name;
}

/** Validates options once, at wrap time, so a misconfiguration fails at cold start, not per call. */
export function resolveOptions<TEvent>(options: IdempotencyOptions<TEvent>): ResolvedOptions<TEvent> {
  if (!options || typeof options.store?.claim !== 'function') {
    throw new IdempotencyError('options.store is required, e.g. { store: new DynamoDBStore() }');
  }
  if (options.onOutcome !== undefined && typeof options.onOutcome !== 'function') {
    throw new IdempotencyError(`options.onOutcome must be a function, e.g. emfMetrics({ namespace: 'Orders' }), got ${typeof options.onOutcome}`);
  }
  if (options.cache && typeof options.cache.get !== 'function') {
    throw new IdempotencyError('options.cache must be a RecordCache, e.g. new RecordCache()');
  }
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new IdempotencyError(`options.ttlSeconds must be a positive integer, got ${ttlSeconds}`);
  }
  if (options.name !== undefined) validateName(options.name);
  return {
    store: options.store,
    name: options.name ?? (process.env.AWS_LAMBDA_FUNCTION_NAME || undefined),
    key: options.key,
    fingerprint: options.fingerprint,
    required: options.required ?? true,
    ttlSeconds,
    logger: options.logger ?? jsonConsoleLogger,
    cache: options.cache,
    onOutcome: options.onOutcome,
  };
}
