/**
 * The metrics retry-safe's outcomes are counted in: the contract between `emfMetrics` (runtime)
 * and the alarms and dashboard (`retry-safe/cdk`). Dependency-free, so both sides import it.
 */
import type { OutcomeName } from '../core/outcome.js';

/** The CloudWatch metric each outcome counts into (and the alarms read): one name, one place. */
export const OUTCOME_METRICS: Readonly<Record<OutcomeName, string>> = {
  executed: 'Executed',
  replayed: 'Replayed',
  in_progress: 'InProgress',
  mismatch: 'Mismatch',
  released: 'Released',
  completion_lost: 'CompletionLost',
  store_error: 'StoreError',
  key_missing: 'KeyMissing',
  unverified: 'Unverified',
};

/** The metric of every call's duration, in milliseconds. */
export const DURATION_METRIC = 'Duration';

/** The dimension that names the operation (`options.name`) on every metric. */
export const OPERATION_DIMENSION = 'Operation';
