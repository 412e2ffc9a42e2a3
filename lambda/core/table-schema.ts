/**
 * The table contract, shared by the CDK construct (`lib/`) and the runtime (`lambda/`).
 * Dependency-free on purpose: both sides import it, and nothing else crosses that line.
 *
 * Attribute names are one letter because every byte is paid for on every write. Each is its
 * own constant so a bundler inlines it into the expressions that use it; {@link ATTR} and
 * {@link STATUS} group them for callers reading the table.
 */

/** Partition key (string): `<name>#<hash of scope and key>`; never the raw client key. */
export const PARTITION_KEY = 'id';

/** TTL attribute (number, epoch seconds): DynamoDB deletes the item some time after it. */
export const TTL_ATTRIBUTE = 'expiration';

/** `P` (in progress) or `C` (completed). */
export const STATUS_ATTRIBUTE = 's';
/** Random token of the invocation holding an in-progress claim; removed on completion. */
export const OWNER_ATTRIBUTE = 'o';
/** Hash of the request fingerprint, to reject a key reused with another payload. */
export const FINGERPRINT_ATTRIBUTE = 'f';
/** Epoch milliseconds at which an in-progress claim may be taken over; removed on completion. */
export const LEASE_ATTRIBUTE = 'l';
/** The stored result: a JSON string (S), or bytes (B): a structured clone, or brotli-compressed JSON or clone. Absent for `undefined`. */
export const RESULT_ATTRIBUTE = 'r';
/** Why a completed record has no replayable result (`too-large`, `unserializable`). */
export const RESULT_UNAVAILABLE_ATTRIBUTE = 'u';
/**
 * The id of the item holding a large result, kept out of the record so that a replay's failed
 * claim, billed at the record's size, costs one write unit. That item has `id`, `r` and `expiration`.
 */
export const RESULT_ITEM_ATTRIBUTE = 'R';

/** {@link STATUS_ATTRIBUTE} of a claim whose handler has not finished. */
export const IN_PROGRESS = 'P';
/** {@link STATUS_ATTRIBUTE} of a record whose handler finished. */
export const COMPLETED = 'C';

/** The attributes of an idempotency record besides the key and the TTL, by meaning. */
export const ATTR = {
  status: STATUS_ATTRIBUTE,
  owner: OWNER_ATTRIBUTE,
  fingerprint: FINGERPRINT_ATTRIBUTE,
  leaseExpiresAtMs: LEASE_ATTRIBUTE,
  result: RESULT_ATTRIBUTE,
  resultUnavailable: RESULT_UNAVAILABLE_ATTRIBUTE,
  resultItem: RESULT_ITEM_ATTRIBUTE,
} as const;

/** Values of {@link STATUS_ATTRIBUTE}. */
export const STATUS = {
  inProgress: IN_PROGRESS,
  completed: COMPLETED,
} as const;
