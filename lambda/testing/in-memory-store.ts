import type { ClaimRecord, ClaimResult, CompletionRecord, IdempotencyRecord, IdempotencyStore } from '../core/store.js';
import type { StepRecord, StepStore, StepWriteResult } from '../steps/step-store.js';
import { TestClock } from './clock.js';

/** Options for {@link InMemoryStore}. */
export interface InMemoryStoreOptions {
  /**
   * The clock leases and expiry are judged by; share one between stores to age them together.
   * @default - a new `TestClock` at the wall clock (see `store.clock`)
   */
  readonly clock?: TestClock;
}

/**
 * A record as held, its times on the store's clock: the engine's times plus how far the clock
 * had been advanced when they were written, so advancing it later ages them.
 */
interface Held {
  readonly record: IdempotencyRecord;
  /** The lease, on the store's clock (in progress only). */
  readonly leaseAtMs?: number;
  /** The first store time at which the record counts as expired. */
  readonly expiredFromMs: number;
}

/**
 * The whole store contract in memory, for users' tests: claims, owner tokens, leases, expiry and
 * step records, with the conditions of `DynamoDBStore` and its step store, and a {@link TestClock}.
 * Pass it as `store` to any wrapper. Deterministic: what it answers depends only on the calls it
 * got and its clock. A record past its expiry is kept, as DynamoDB keeps it until TTL deletes it,
 * and counts as absent to every condition.
 *
 * @example
 * const store = new InMemoryStore();
 * const handler = makeIdempotent(chargeOrder, { store, name: 'charge-order' });
 */
export class InMemoryStore implements IdempotencyStore, StepStore {
  /** The clock this store judges leases and expiry by: `store.clock.advance(ms)` ages its records. */
  readonly clock: TestClock;
  private readonly held = new Map<string, Held>();

  constructor(options: InMemoryStoreOptions = {}) {
    this.clock = options.clock ?? new TestClock();
  }

  /** Every record held (expired ones too), with times as the engine reads them. For assertions. */
  records(): IdempotencyRecord[] {
    return [...this.held.values()].map((held) => this.toEngine(held));
  }

  /**
   * Advances the clock just past the latest lease of an in-progress claim, as if the invocations
   * holding them had died; returns how far it moved, in milliseconds (0 when no claim is held).
   */
  lapseLeases(): number {
    let latest = 0;
    for (const held of this.held.values()) {
      if (held.record.status === 'in-progress' && held.leaseAtMs !== undefined) latest = Math.max(latest, held.leaseAtMs);
    }
    const ms = Math.max(0, latest - this.clock.now() + 1);
    this.clock.advance(ms);
    return ms;
  }

  async claim(record: ClaimRecord, nowMs: number): Promise<ClaimResult> {
    // Each call yields first, so concurrent invocations interleave between calls as they would
    // between requests; the check and the write below then happen in one turn, as one conditional write.
    await yieldTurn();
    const storeNow = nowMs + this.clock.advancedMs;
    const held = this.held.get(record.id);
    if (!held || expired(held, storeNow) || leaseLapsedOnSamePayload(held, record.fingerprint, storeNow)) {
      this.hold(record);
      return { claimed: true };
    }
    return { claimed: false, existing: this.toEngine(held) };
  }

  async complete(record: CompletionRecord, owner: string): Promise<boolean> {
    await yieldTurn();
    return this.completeHeld(record, owner, true);
  }

  async release(id: string, owner: string): Promise<boolean> {
    await yieldTurn();
    const held = this.held.get(id);
    if (!held || !heldBy(held, owner)) return false;
    this.held.delete(id);
    return true;
  }

  async readStep(id: string): Promise<StepRecord | undefined> {
    await yieldTurn();
    const held = this.held.get(id);
    return held && this.toEngine(held);
  }

  async startStep(record: StepRecord, nowMs: number): Promise<StepWriteResult> {
    await yieldTurn();
    const held = this.held.get(record.id);
    if (!held || expired(held, nowMs + this.clock.advancedMs)) {
      this.hold(record);
      return { written: true };
    }
    return { written: false, existing: this.toEngine(held) };
  }

  async recordStep(record: StepRecord, nowMs: number): Promise<StepWriteResult> {
    await yieldTurn();
    const held = this.held.get(record.id);
    const startedForSamePayload = held?.record.status === 'in-progress' && held.record.fingerprint === record.fingerprint;
    if (!held || expired(held, nowMs + this.clock.advancedMs) || startedForSamePayload) {
      this.hold(record);
      return { written: true };
    }
    return { written: false, existing: this.toEngine(held) };
  }

  async finishStep(record: StepRecord, owner: string): Promise<boolean> {
    await yieldTurn();
    return this.completeHeld(record, owner, false);
  }

  async extendStep(id: string, expiresAtSeconds: number): Promise<void> {
    await yieldTurn();
    const held = this.held.get(id);
    // Only an existing record that would expire sooner: never resurrect or shorten one.
    if (!held || this.toEngine(held).expiresAtSeconds >= expiresAtSeconds) return;
    this.held.set(id, { ...held, expiredFromMs: this.expiredFrom(expiresAtSeconds) });
  }

  /**
   * Marks the record held by `owner` completed, keeping its owner, so a completion retried
   * after its first response was lost still learns that it landed. `dropLease` for parent records.
   */
  private completeHeld(record: CompletionRecord, owner: string, dropLease: boolean): boolean {
    const held = this.held.get(record.id);
    if (!held) return false;
    if (!heldBy(held, owner)) return held.record.status === 'completed' && held.record.owner === owner;
    const { leaseExpiresAtMs: _lease, ...kept } = held.record;
    const completed: IdempotencyRecord = {
      ...(dropLease ? kept : held.record),
      status: 'completed',
      expiresAtSeconds: record.expiresAtSeconds,
      ...(record.result !== undefined && { result: copyResult(record.result) }),
      ...(record.resultUnavailable && { resultUnavailable: record.resultUnavailable }),
    };
    this.held.set(record.id, {
      record: completed,
      leaseAtMs: dropLease ? undefined : held.leaseAtMs,
      expiredFromMs: this.expiredFrom(record.expiresAtSeconds),
    });
    return true;
  }

  /** Writes `record` whole (a put), its times moved onto the store's clock. */
  private hold(record: IdempotencyRecord): void {
    const advanced = this.clock.advancedMs;
    this.held.set(record.id, {
      record: { ...record, ...(record.result !== undefined && { result: copyResult(record.result) }) },
      leaseAtMs: record.leaseExpiresAtMs === undefined ? undefined : record.leaseExpiresAtMs + advanced,
      expiredFromMs: this.expiredFrom(record.expiresAtSeconds),
    });
  }

  /** The store time from which a record with this expiry (engine time, epoch seconds) counts as expired. */
  private expiredFrom(expiresAtSeconds: number): number {
    // DynamoDB's condition is `expiration < floor(now / 1000)`: expired from the second after.
    return (expiresAtSeconds + 1) * 1000 + this.clock.advancedMs;
  }

  /** A copy of the record with its times back in the engine's time, so the engine judges it as the store does. */
  private toEngine(held: Held): IdempotencyRecord {
    const advanced = this.clock.advancedMs;
    const { record } = held;
    return {
      ...record,
      // Rounded up: the engine never sees a record expired that the store still counts as live.
      expiresAtSeconds: Math.ceil((held.expiredFromMs - advanced) / 1000) - 1,
      ...(held.leaseAtMs !== undefined && { leaseExpiresAtMs: held.leaseAtMs - advanced }),
      ...(record.result !== undefined && { result: copyResult(record.result) }),
    };
  }
}

function expired(held: Held, storeNowMs: number): boolean {
  return storeNowMs >= held.expiredFromMs;
}

function leaseLapsedOnSamePayload(held: Held, fingerprint: string, storeNowMs: number): boolean {
  return (
    held.record.status === 'in-progress' &&
    held.leaseAtMs !== undefined &&
    held.leaseAtMs < storeNowMs &&
    held.record.fingerprint === fingerprint
  );
}

/** The record is in progress and held by `owner` (a completed one keeps its owner, but is no longer held). */
function heldBy(held: Held, owner: string): boolean {
  return held.record.status === 'in-progress' && held.record.owner === owner;
}

/** Compressed results are bytes: the store keeps and hands out its own copies, as a table does. */
function copyResult(result: string | Uint8Array): string | Uint8Array {
  return typeof result === 'string' ? result : result.slice();
}

function yieldTurn(): Promise<void> {
  return Promise.resolve();
}
