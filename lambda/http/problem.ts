/**
 * RFC 9457 problem details (`application/problem+json`) for the responses the HTTP layer
 * makes itself. Types are tag URIs (RFC 4151): stable identifiers that are not meant to be fetched.
 */

/** The media type of every error response this package makes. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A problem document, as RFC 9457 defines its core members. */
export interface Problem {
  /** A URI naming the kind of problem; the same for every occurrence of that kind. */
  readonly type: string;
  /** A short summary of the kind of problem; does not change between occurrences. */
  readonly title: string;
  /** The HTTP status code. */
  readonly status: number;
  /** What went wrong this time, and what the client can do about it. */
  readonly detail: string;
}

/** What every problem `type` this package makes starts with; a kind's slug follows. */
export const PROBLEM_TYPE_PREFIX = 'tag:retry-safe,2026:problem:';

/** The kinds of problem the HTTP layer reports, each with its status and title. */
export const PROBLEM_KINDS = {
  keyMissing: { slug: 'idempotency-key-missing', status: 400, title: 'Idempotency-Key header missing' },
  keyInvalid: { slug: 'idempotency-key-invalid', status: 400, title: 'Invalid Idempotency-Key header' },
  inProgress: { slug: 'request-in-progress', status: 409, title: 'A request with this Idempotency-Key is in progress' },
  resultUnavailable: {
    slug: 'response-not-stored',
    status: 409,
    title: 'The request already completed, but its response was not kept',
  },
  keyReused: { slug: 'idempotency-key-reused', status: 422, title: 'Idempotency-Key reused with a different request' },
  storeUnavailable: { slug: 'idempotency-store-unavailable', status: 503, title: 'Idempotency store unavailable' },
} as const;

/** One of {@link PROBLEM_KINDS}. */
export type ProblemKind = keyof typeof PROBLEM_KINDS;

/** The `type` URI of a problem kind, e.g. `tag:retry-safe,2026:problem:idempotency-key-missing`. */
export function problemType(kind: ProblemKind): string {
  return PROBLEM_TYPE_PREFIX + PROBLEM_KINDS[kind].slug;
}

/** Builds the problem document for a kind, with this occurrence's detail. */
export function problem(kind: ProblemKind, detail: string): Problem {
  const { status, title } = PROBLEM_KINDS[kind];
  return { type: problemType(kind), title, status, detail };
}
