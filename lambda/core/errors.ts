/** Base class of every error retry-safe throws; `instanceof IdempotencyError` catches them all. */
export class IdempotencyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Another invocation holds the claim on this key and is still running. Retry later. */
export class IdempotencyInProgressError extends IdempotencyError {
  /** Milliseconds until the running claim's lease lapses: a sensible time to retry. */
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number) {
    super(
      `another invocation with this idempotency key is in progress; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
    );
    this.retryAfterMs = Math.max(0, retryAfterMs);
  }
}

/** The key was used before with a different payload (fingerprint). The stored record is untouched. */
export class IdempotencyPayloadMismatchError extends IdempotencyError {
  constructor() {
    super(
      'this idempotency key was already used with a different payload; send a new key for a new request',
    );
  }
}

/** No idempotency key could be found and the key is `required`. */
export class IdempotencyKeyMissingError extends IdempotencyError {
  constructor(detail = 'the key function returned undefined') {
    super(`idempotency key missing: ${detail}; send a key, or set required: false to run without one`);
  }
}

/** The idempotency key is not a usable string (type, length or characters). */
export class IdempotencyKeyInvalidError extends IdempotencyError {
  constructor(reason: string, options?: ErrorOptions) {
    super(`invalid idempotency key: ${reason}`, options);
  }
}

// What a failure of these operations stopped from running; the others fail after the work.
const WORK_NOT_RUN: Readonly<Record<string, string>> = {
  claim: 'the handler did not run',
  'read of the stored result': 'the handler did not run',
  'step read': 'the step did not run',
  'step start': 'the step did not run',
};

/**
 * The store failed (throttling, network; the SDK error is the `cause`). Thrown before the handler
 * (a claim) or a step's function runs, it means that work did not run: retry later.
 */
export class IdempotencyStoreError extends IdempotencyError {
  /** The store operation that failed, e.g. `claim`, `step read`. */
  readonly operation: string;

  constructor(operation: string, options?: ErrorOptions) {
    const cause = options?.cause instanceof Error ? `: ${options.cause.name}: ${options.cause.message}` : '';
    const notRun = WORK_NOT_RUN[operation];
    super(`idempotency store ${operation} failed${cause}; ${notRun ? `${notRun}, ` : ''}retry later`, options);
    this.operation = operation;
  }
}

/**
 * The operation completed, but its result could not be stored, so a retry cannot replay it.
 * The handler is not run again: the side effects already happened.
 */
export class IdempotencyResultUnavailableError extends IdempotencyError {
  /** `too-large`: over DynamoDB's item limit even compressed; `unserializable`: not JSON. */
  readonly reason: string;

  constructor(reason: string) {
    super(
      `the operation already completed, but its result was not stored (${reason}); it will not run again`,
    );
    this.reason = reason;
  }
}
