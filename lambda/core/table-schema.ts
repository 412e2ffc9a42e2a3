/**
 * The table contract, shared by the CDK construct (`lib/`) and the runtime (`lambda/`).
 * Dependency-free on purpose: both sides import it, and nothing else crosses that line.
 *
 * Attribute names are one letter because every byte is paid for on every write.
 */

/** Partition key (string): `<name>#<hash of scope and key>`; never the raw client key. */
export const PARTITION_KEY = 'id';

/** TTL attribute (number, epoch seconds): DynamoDB deletes the item some time after it. */
export const TTL_ATTRIBUTE = 'expiration';

/** The other attributes of an idempotency record. */
export const ATTR = {
  /** `P` (in progress) or `C` (completed). */
  status: 's',
  /** Random token of the invocation holding an in-progress claim; removed on completion. */
  owner: 'o',
  /** Hash of the request fingerprint, to reject a key reused with another payload. */
  fingerprint: 'f',
  /** Epoch milliseconds at which an in-progress claim may be taken over; removed on completion. */
  leaseExpiresAtMs: 'l',
  /** The stored result: a JSON string (S), or deflate-compressed JSON (B). Absent for `undefined`. */
  result: 'r',
  /** Why a completed record has no replayable result (`too-large`, `unserializable`). */
  resultUnavailable: 'u',
} as const;

/** Values of {@link ATTR.status}. */
export const STATUS = {
  inProgress: 'P',
  completed: 'C',
} as const;
