import type { LambdaContext as Context } from './lambda-types.js';

/** Added to the Lambda's remaining time, so a claim outlives its invocation by clock skew and I/O. */
export const LEASE_MARGIN_MS = 3_000;
/** A claim lives at least this long (plus the margin), even when the Lambda is about to time out. */
export const LEASE_FLOOR_MS = 5_000;
/** Lambda's longest timeout: no invocation has more time left than this. */
export const MAX_REMAINING_MS = 15 * 60_000;
/**
 * Without a Lambda context the remaining time is unknown: lease for Lambda's maximum timeout
 * (15 minutes), so a slow first run is never run twice; a crashed one blocks its key that long.
 */
export const DEFAULT_LEASE_MS = MAX_REMAINING_MS + LEASE_MARGIN_MS;

/** How long an in-progress claim made now stays exclusive: the invocation's remaining time (capped at 15 minutes) plus the margin. */
export function leaseMs(context: Pick<Context, 'getRemainingTimeInMillis'> | undefined): number {
  const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : NaN;
  // A context that is not Lambda's (a test double, another runtime) may report anything: an
  // endless lease would block a crashed run's key for good, a huge one overflows the record.
  if (typeof remaining !== 'number' || Number.isNaN(remaining)) return DEFAULT_LEASE_MS;
  return Math.min(Math.max(remaining, LEASE_FLOOR_MS), MAX_REMAINING_MS) + LEASE_MARGIN_MS;
}
