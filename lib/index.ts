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
