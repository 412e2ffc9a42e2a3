import { IdempotencyError } from '../core/errors.js';

/**
 * The time an {@link InMemoryStore} judges leases and expiry by: the wall clock, moved on by
 * {@link TestClock.advance}. Advancing it ages every record the store holds, as if that much
 * time had passed since each was written: a lease lapses, a record expires.
 *
 * What it controls: the store's conditions (which claim wins, whether a record counts as
 * expired, what `readStep` reports). What it does not: the engine reads `Date.now()` to stamp
 * new records and to judge a record handed back to it, and the store hands records back in the
 * engine's time, so both agree; a `RecordCache` on the wrapper, and your own code's timers, keep
 * the wall clock. Leave `cache` off in tests that advance the clock.
 */
export class TestClock {
  private advancedBy = 0;

  /** How far the clock has been moved on, in milliseconds (0 at first). */
  get advancedMs(): number {
    return this.advancedBy;
  }

  /**
   * Moves time on by `ms` for the stores reading this clock. Step past a boundary by at least
   * a millisecond: a lease lapses only once the store's time is *after* it.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new IdempotencyError(`TestClock.advance needs a finite, non-negative number of milliseconds, got ${ms}`);
    }
    this.advancedBy += ms;
  }

  /** The store's time now: the wall clock plus {@link advancedMs}, in epoch milliseconds. */
  now(): number {
    return Date.now() + this.advancedBy;
  }
}
