// Every class here sets `name` as a literal: minifiers rename classes, so `new.target.name`
// would log `t` instead of `IdempotencyInProgressError` in a bundled Lambda. Fields the
// constructor assigns are `declare`d: a field declaration would be emitted as an empty field first.

/** Base class of every error retry-safe throws; `instanceof IdempotencyError` catches them all. */
export class IdempotencyError extends Error {
  // `{ cause }` rather than the global `ErrorOptions`, which needs `lib` ES2022: CDK apps made before 2025 compile with ES2020.
  constructor(message?: string, options?: { cause?: unknown }) {
    super(message, options);
    // Subclasses of your own without a literal `name` keep their class name, as errors do.
    this.name = new.target === IdempotencyError ? 'IdempotencyError' : new.target.name;
  }
}

/** Another invocation holds the claim on this key and is still running. Retry later. */
export class IdempotencyInProgressError extends IdempotencyError {
  override readonly name = 'IdempotencyInProgressError';
  /** Milliseconds until the running claim's lease lapses: a sensible time to retry. */
  declare readonly retryAfterMs: number;

  constructor(retryAfterMs: number) {
    super(`a call with this idempotency key is in progress; retry in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.retryAfterMs = Math.max(0, retryAfterMs);
  }
}

/** The key was used before with a different payload (fingerprint). The stored record is untouched. */
export class IdempotencyPayloadMismatchError extends IdempotencyError {
  override readonly name = 'IdempotencyPayloadMismatchError';

  constructor() {
    super('idempotency key already used with a different payload; use a new key for a new request');
  }
}

/** No idempotency key could be found and the key is `required`. */
export class IdempotencyKeyMissingError extends IdempotencyError {
  override readonly name = 'IdempotencyKeyMissingError';

  constructor(detail = 'the key function returned undefined') {
    super(`idempotency key missing: ${detail} (required: false runs without one)`);
  }
}

/** The idempotency key is not a usable string (type, length or characters). */
export class IdempotencyKeyInvalidError extends IdempotencyError {
  override readonly name = 'IdempotencyKeyInvalidError';

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`invalid idempotency key: ${reason}`, options);
  }
}

// The operations whose failure means the work after them did not run, and which work that is.
const WORK_NOT_RUN: Readonly<Record<string, string>> = {
  claim: 'handler',
  'read of the stored result': 'handler',
  'step read': 'step',
  'step start': 'step',
};

/**
 * The store failed (throttling, network; the SDK error is the `cause`). Thrown before the handler
 * (a claim) or a step's function runs, it means that work did not run: retry later.
 */
export class IdempotencyStoreError extends IdempotencyError {
  override readonly name = 'IdempotencyStoreError';
  /** The store operation that failed, e.g. `claim`, `step read`. */
  declare readonly operation: string;

  constructor(operation: string, options?: { cause?: unknown }) {
    const cause = options?.cause;
    const notRun = WORK_NOT_RUN[operation];
    super(
      `idempotency store ${operation} failed${cause instanceof Error ? `: ${cause.name}: ${cause.message}` : ''}; ${notRun ? `the ${notRun} did not run, ` : ''}retry later`,
      options,
    );
    this.operation = operation;
  }
}

/**
 * The operation completed, but its result could not be stored, so a retry cannot replay it.
 * The handler is not run again: the side effects already happened.
 */
export class IdempotencyResultUnavailableError extends IdempotencyError {
  override readonly name = 'IdempotencyResultUnavailableError';
  /** `too-large`: over DynamoDB's item limit even compressed; `unserializable`: not JSON. */
  declare readonly reason: string;

  constructor(reason: string) {
    super(`already completed, but its result was not stored (${reason}); it will not run again`);
    this.reason = reason;
  }
}
