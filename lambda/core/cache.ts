import { IdempotencyError } from './errors.js';
import type { IdempotencyRecord } from './store.js';

/** Options for the in-memory cache of completed records (`IdempotencyOptions.cache`). */
export interface RecordCacheOptions {
  /**
   * How many completed records to keep; the least recently used one is dropped beyond that.
   * @default 1000
   */
  readonly maxEntries?: number;
}

/** Records kept by default: a few hundred KB at most for typical results. */
export const DEFAULT_CACHE_ENTRIES = 1000;

/**
 * A bounded, least-recently-used cache of completed records, keyed by record id, so a hot
 * replay costs no DynamoDB request. A completed record never changes until it expires, which
 * is what makes it safe to keep: in-progress records are refused, expired ones are dropped.
 */
export class RecordCache {
  /** The most records kept at once. */
  readonly maxEntries: number;
  // A Map iterates in insertion order: re-inserting on every hit keeps the oldest entry first.
  private readonly records = new Map<string, IdempotencyRecord>();

  constructor(options: RecordCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
    if (!Number.isInteger(maxEntries) || maxEntries <= 0) {
      throw new IdempotencyError(`options.cache.maxEntries must be a positive whole number, got ${maxEntries}`);
    }
    this.maxEntries = maxEntries;
  }

  /** How many records are held now. */
  get size(): number {
    return this.records.size;
  }

  /** The completed record for `id`, unless absent or expired at `nowMs` (then it is dropped). */
  get(id: string, nowMs: number): IdempotencyRecord | undefined {
    const record = this.records.get(id);
    if (!record) return undefined;
    this.records.delete(id);
    // The same rule as the store's: a record past `expiration` counts as absent.
    if (record.expiresAtSeconds < Math.floor(nowMs / 1000)) return undefined;
    this.records.set(id, record);
    return record;
  }

  /** Keeps a completed record; in-progress records are ignored, as another invocation may still finish them. */
  set(record: IdempotencyRecord): void {
    if (record.status !== 'completed') return;
    this.records.delete(record.id);
    this.records.set(record.id, record);
    if (this.records.size > this.maxEntries) {
      const oldest = this.records.keys().next().value;
      if (oldest !== undefined) this.records.delete(oldest);
    }
  }

  /** Forgets the record for `id`, if held. */
  delete(id: string): void {
    this.records.delete(id);
  }
}
