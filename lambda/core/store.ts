import type { EncodedResult, UnstorableReason } from './result-codec.js';

/** An idempotency record as the engine sees it, whatever the store. */
export interface IdempotencyRecord {
  /** Partition key: operation name plus the hash of scope and key. */
  readonly id: string;
  readonly status: 'in-progress' | 'completed';
  /** Hash of the request fingerprint. */
  readonly fingerprint: string;
  /** Epoch seconds after which the record counts as absent (and TTL may delete it). */
  readonly expiresAtSeconds: number;
  /** In progress only: epoch milliseconds after which another invocation may take over. */
  readonly leaseExpiresAtMs?: number;
  /** The token of the invocation that claimed the record; kept on completion, so a retried completion knows it landed. */
  readonly owner?: string;
  /** Completed only: the encoded result. */
  readonly result?: EncodedResult;
  /** Completed only: set when the result could not be stored. */
  readonly resultUnavailable?: UnstorableReason;
  /**
   * Completed only: where the store keeps a result it did not put in the record (a large one);
   * {@link IdempotencyStore.readResult} reads it. Absent when `result` holds it.
   */
  readonly resultRef?: string;
}

/** An in-progress record an invocation tries to write. */
export interface ClaimRecord extends IdempotencyRecord {
  readonly status: 'in-progress';
  readonly owner: string;
  readonly leaseExpiresAtMs: number;
}

/** A completed record, written over the caller's own claim. */
export interface CompletionRecord {
  readonly id: string;
  /** The claim's fingerprint hash, unchanged: a store may write the whole record in one request. */
  readonly fingerprint: string;
  readonly expiresAtSeconds: number;
  readonly result?: EncodedResult;
  readonly resultUnavailable?: UnstorableReason;
}

/** The answer to a claim: ours, or the record that stood in the way. */
export type ClaimResult =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly existing: IdempotencyRecord | undefined };

/**
 * Where idempotency records live. The published seam for other backends: a store only reads
 * and writes conditionally; the engine decides what the records mean.
 */
export interface IdempotencyStore {
  /**
   * Writes `record` only if no live record has this id, or the live one is an in-progress
   * claim with the same fingerprint whose lease lapsed before `nowMs`. Otherwise returns the
   * existing record, read in the same request.
   */
  claim(record: ClaimRecord, nowMs: number): Promise<ClaimResult>;
  /**
   * Marks the claim completed. Returns `true` also when the record is already completed by
   * `owner` (a retried write whose first response was lost), `false` (writing nothing) if
   * `owner` no longer holds it.
   */
  complete(record: CompletionRecord, owner: string): Promise<boolean>;
  /** Deletes the claim. Returns `false` (and deletes nothing) if `owner` no longer holds it. */
  release(id: string, owner: string): Promise<boolean>;
  /**
   * Reads a result kept apart from its record ({@link IdempotencyRecord.resultRef}), for a
   * replay. Only stores that keep results apart implement it.
   */
  readResult?(ref: string): Promise<EncodedResult>;
}
