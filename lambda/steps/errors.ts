import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { IdempotencyError } from '../core/errors.js';

/**
 * An at-most-once step was started by an earlier attempt that never recorded its outcome
 * (it crashed, timed out, or its function threw), so it is not run again: its effect may or may
 * not have happened. Check the downstream system for `stepKey` and resolve it there; see the
 * "Multi-step handlers" page of the documentation (docs/steps.md).
 */
export class StepInterruptedError extends IdempotencyError {
  override readonly name = 'StepInterruptedError';
  /** The step's name, as passed to `step()`. */
  readonly stepName: string;
  /** The derived idempotency key the interrupted attempt passed to its function. */
  readonly stepKey: string;
  /** The step record's partition key: delete that item to let the step run again. */
  readonly recordId: string;

  constructor(stepName: string, stepKey: string, recordId: string) {
    super(
      `step ${JSON.stringify(stepName)} is at-most-once and an earlier attempt started it without recording ` +
        `its outcome, so it is not run again; look its effect up downstream by its key ${stepKey}, ` +
        `then handle this error, or delete the step record ${JSON.stringify(recordId)} to allow one more run`,
    );
    this.stepName = stepName;
    this.stepKey = stepKey;
    this.recordId = recordId;
  }
}

/**
 * `compareAndSwap` lost: the item's stored version is not the expected one (another writer
 * moved it on, or it does not exist). Nothing was written; re-read and decide again.
 */
export class VersionConflictError extends IdempotencyError {
  override readonly name = 'VersionConflictError';
  /** The version the caller expected (`0`: the item was expected to be absent). */
  readonly expectedVersion: number;
  /** The stored version when the write was refused: `0` if the item or its version is absent. */
  readonly actualVersion: number;
  /** The item as stored when the write was refused, read in the same request; `undefined` if absent. */
  readonly item: Record<string, AttributeValue> | undefined;

  constructor(expectedVersion: number, actualVersion: number, item: Record<string, AttributeValue> | undefined) {
    super(
      `version conflict: expected version ${expectedVersion}, the item is at version ${actualVersion}` +
        `${item ? '' : ' (absent)'}; nothing was written, re-read the item and decide again`,
    );
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
    this.item = item;
  }
}
