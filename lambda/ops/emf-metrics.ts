import type { IdempotencyOutcome, OutcomeListener } from '../core/outcome.js';
import { DURATION_METRIC, OPERATION_DIMENSION, OUTCOME_METRICS } from './metric-names.js';

/** Options for {@link emfMetrics}. */
export interface EmfMetricsOptions {
  /** The CloudWatch namespace, e.g. `'Orders'` (1 to 255 characters). */
  readonly namespace: string;
  /**
   * Dimensions added to every metric besides `Operation`, e.g. `{ Service: 'orders' }` (at most 29).
   * @default - `Operation` only
   */
  readonly dimensions?: Readonly<Record<string, string>>;
  /**
   * Where each line goes.
   * @default - standard output, unprefixed, as CloudWatch's EMF extraction needs (the Lambda runtime's `console` adds a prefix)
   */
  readonly write?: (line: string) => void;
}

/**
 * An `onOutcome` listener that writes each call's outcome as one CloudWatch Embedded Metric
 * Format line: a count of 1 in the outcome's metric (`Executed`, `Replayed`, `InProgress`,
 * `Mismatch`, `Released`, `CompletionLost`, `StoreError`, `KeyMissing`) and the call's
 * `Duration`, by `Operation` and your dimensions. CloudWatch turns the line into metrics:
 * no SDK call, no extra request. Replays also carry `ReplayedFrom` (`cache` or `table`) as a
 * property, searchable in Logs Insights.
 *
 * @example
 * makeIdempotent(handler, { store, onOutcome: emfMetrics({ namespace: 'Orders' }) });
 */
export function emfMetrics(options: EmfMetricsOptions): OutcomeListener {
  const { namespace, dimensions = {} } = options;
  if (typeof namespace !== 'string' || namespace.length === 0 || namespace.length > 255) {
    throw new TypeError(`emfMetrics: namespace must be 1 to 255 characters, got ${JSON.stringify(namespace)}`);
  }
  const dimensionNames = [OPERATION_DIMENSION, ...Object.keys(dimensions)];
  if (dimensionNames.length > 30) throw new TypeError('emfMetrics: at most 29 dimensions besides Operation');
  const write = options.write ?? ((line: string) => void process.stdout.write(line + '\n'));
  return function emitOutcome(outcome: IdempotencyOutcome): void {
    const metric = OUTCOME_METRICS[outcome.outcome];
    write(
      JSON.stringify({
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [
            {
              Namespace: namespace,
              Dimensions: [dimensionNames],
              Metrics: [
                { Name: metric, Unit: 'Count' },
                { Name: DURATION_METRIC, Unit: 'Milliseconds' },
              ],
            },
          ],
        },
        ...dimensions,
        [OPERATION_DIMENSION]: outcome.name,
        [metric]: 1,
        [DURATION_METRIC]: Math.round(outcome.durationMs * 1000) / 1000,
        ...(outcome.replayedFrom ? { ReplayedFrom: outcome.replayedFrom } : {}),
      }),
    );
  };
}
