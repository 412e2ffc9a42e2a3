import {
  IdempotencyInProgressError,
  IdempotencyKeyInvalidError,
  IdempotencyKeyMissingError,
  IdempotencyPayloadMismatchError,
  IdempotencyResultUnavailableError,
  IdempotencyStoreError,
} from '../core/errors.js';
import type { ProblemKind } from './problem.js';

/**
 * How long a client should wait before retrying a request whose key is in progress, in
 * seconds. Not the claim's lease: that bounds a crashed run (minutes), while a live one
 * usually finishes within a second, and a client told to wait the lease would wait for nothing.
 */
export const IN_PROGRESS_RETRY_AFTER_SECONDS = 1;

/** How long a client should wait after a store outage, in seconds. */
export const STORE_UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

/** The HTTP answer to an engine error. */
export interface HttpProblemMapping {
  readonly kind: ProblemKind;
  readonly detail: string;
  readonly headers?: Record<string, string>;
}

/**
 * Maps the engine's typed errors to HTTP problems: 400, 409, 422, 503. Returns `undefined`
 * for anything else (a configuration mistake or a bug), which must not be dressed up as a
 * client error. Store failures get a fixed detail: SDK messages are not for clients.
 */
export function httpProblemFor(error: unknown): HttpProblemMapping | undefined {
  if (error instanceof IdempotencyInProgressError) {
    return {
      kind: 'inProgress',
      detail: 'the first request with this Idempotency-Key is still being processed; retry the same request later',
      headers: { 'Retry-After': String(IN_PROGRESS_RETRY_AFTER_SECONDS) },
    };
  }
  if (error instanceof IdempotencyPayloadMismatchError) {
    return {
      kind: 'keyReused',
      detail:
        'this Idempotency-Key was already used for a request with a different method, path, query or body; use a new key for a new request',
    };
  }
  if (error instanceof IdempotencyResultUnavailableError) {
    return {
      kind: 'resultUnavailable',
      detail: `the request with this Idempotency-Key already completed, but its response was not kept (${error.reason}); it will not run again: read the resource to learn the outcome`,
    };
  }
  if (error instanceof IdempotencyStoreError) {
    return {
      kind: 'storeUnavailable',
      detail: 'the request was not processed because the idempotency store is unavailable; retry the same request later',
      headers: { 'Retry-After': String(STORE_UNAVAILABLE_RETRY_AFTER_SECONDS) },
    };
  }
  if (error instanceof IdempotencyKeyInvalidError) return { kind: 'keyInvalid', detail: error.message };
  if (error instanceof IdempotencyKeyMissingError) return { kind: 'keyMissing', detail: error.message };
  return undefined;
}
