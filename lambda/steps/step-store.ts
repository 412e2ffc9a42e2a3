import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyError } from '../core/errors.js';
import type { IdempotencyRecord, IdempotencyStore } from '../core/store.js';
import { DynamoDBStepStore } from './dynamodb-step-store.js';

/**
 * A step record has the shape of an idempotency record: `in-progress` means an at-most-once
 * step was started and its outcome not yet recorded; `owner` is the token of the parent
 * execution that started it. It never has a lease.
 */
export type StepRecord = IdempotencyRecord;

/** The answer to a conditional step write: written, or the live record that stood in the way. */
export type StepWriteResult =
  | { readonly written: true }
  | { readonly written: false; readonly existing: StepRecord | undefined };

/**
 * Where step records live: the opt-in seam a store implements (next to `IdempotencyStore`) to
 * support `step()`. `DynamoDBStore` needs no code for it: its table is used as is.
 * Every method throws `IdempotencyStoreError` when the backend fails.
 */
export interface StepStore {
  /** Reads a step record, strongly consistent. Expired records may be returned; the caller checks. */
  readStep(id: string): Promise<StepRecord | undefined>;
  /**
   * Writes an in-progress (started) record only if no live record has this id (one past its
   * `expiresAtSeconds` at `nowMs` counts as absent). Otherwise returns the live one, read in the
   * same request.
   */
  startStep(record: StepRecord, nowMs: number): Promise<StepWriteResult>;
  /**
   * Writes a completed record unless a live record is completed already or belongs to another
   * fingerprint; then returns that record. Overwrites a started record of the same fingerprint.
   */
  recordStep(record: StepRecord, nowMs: number): Promise<StepWriteResult>;
  /** Marks a started record completed. Returns `false` (and writes nothing) unless `owner` started it. */
  finishStep(record: StepRecord, owner: string): Promise<boolean>;
  /** Moves a record's expiry later (never earlier), so it outlives the parent that still uses it. */
  extendStep(id: string, expiresAtSeconds: number): Promise<void>;
}

/** True when a store implements the step methods itself. */
export function isStepStore(store: unknown): store is StepStore {
  const candidate = store as Partial<StepStore> | undefined;
  return (
    typeof candidate?.readStep === 'function' &&
    typeof candidate.startStep === 'function' &&
    typeof candidate.recordStep === 'function' &&
    typeof candidate.finishStep === 'function' &&
    typeof candidate.extendStep === 'function'
  );
}

interface DynamoDBBacked {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

function isDynamoDBBacked(store: unknown): store is DynamoDBBacked {
  const candidate = store as Partial<DynamoDBBacked> | undefined;
  return typeof candidate?.client?.send === 'function' && typeof candidate.tableName === 'string';
}

// One step store per parent store, built on first use: steps are called per request, stores are not.
const stepStores = new WeakMap<IdempotencyStore, StepStore>();

/**
 * The step store for a parent's store: the store itself if it implements {@link StepStore},
 * else the same DynamoDB table (a `DynamoDBStore` exposes `client` and `tableName`).
 */
export function stepStoreFor(store: IdempotencyStore): StepStore {
  if (isStepStore(store)) return store;
  let stepStore = stepStores.get(store);
  if (!stepStore) {
    if (!isDynamoDBBacked(store)) {
      throw new IdempotencyError(
        'step() needs a store that keeps step records: use DynamoDBStore, or implement the StepStore methods on your store',
      );
    }
    stepStore = new DynamoDBStepStore({ client: store.client, tableName: store.tableName });
    stepStores.set(store, stepStore);
  }
  return stepStore;
}
