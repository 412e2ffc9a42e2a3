/**
 * retry-safe/cdk: the CDK construct for the idempotency table and functions that use it.
 * Infrastructure only; never imported by the runtime (`retry-safe`).
 */
export {
  IdempotencyTable,
  type IdempotencyTableProps,
  type IdempotencyTableReplica,
  TABLE_ACTIONS,
  KEY_ACTIONS,
  TABLE_NAME_ENV,
} from './idempotency-table.js';
export { IdempotentFunction, type IdempotentFunctionProps, DEFAULT_RUNTIME } from './idempotent-function.js';
export {
  IdempotentQueueConsumer,
  type IdempotentQueueConsumerProps,
  VISIBILITY_TIMEOUT_FACTOR,
  DEFAULT_MAX_RECEIVE_COUNT,
} from './idempotent-queue-consumer.js';
export {
  IdempotencyMonitoring,
  type IdempotencyMonitoringProps,
  type OperationAlarms,
  type OutcomeName,
  TABLE_OPERATIONS,
  RUNBOOK,
} from './idempotency-monitoring.js';
