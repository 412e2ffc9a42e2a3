/**
 * retry-safe: make AWS Lambda work safe to retry.
 * Runtime entry point; never imports `aws-cdk-lib` (see `retry-safe/cdk` for the construct).
 */
export { idempotency } from './middleware.js';
export { makeIdempotent, type AsyncHandler } from './make-idempotent.js';
export { httpIdempotency, type HttpIdempotencyOptions } from './http/http-idempotency.js';
export type { HttpEvent } from './http/http-event.js';
export type { LambdaContext, MiddyMiddleware, MiddyRequest, HttpEventV1, HttpEventV2 } from './core/lambda-types.js';
export type { HttpResponse } from './http/http-response.js';
export type { Problem } from './http/problem.js';
export {
  webhookIdempotency,
  DEFAULT_WEBHOOK_TTL_SECONDS,
  type WebhookIdempotencyOptions,
} from './webhooks/webhook-idempotency.js';
export { standardWebhooks, type StandardWebhooksOptions } from './webhooks/standard-webhooks.js';
export { githubWebhooks, type GitHubWebhooksOptions } from './webhooks/github-webhooks.js';
export { stripeWebhooks, type StripeWebhooksOptions } from './webhooks/stripe-webhooks.js';
export type { WebhookVerifier, HeaderLookup } from './webhooks/webhook-verifier.js';
export type { WebhookSecret } from './webhooks/secrets.js';
export { WebhookVerificationError } from './webhooks/errors.js';
export { DynamoDBStore, type DynamoDBStoreOptions } from './core/dynamodb-store.js';
export { RecordCache, type RecordCacheOptions } from './core/cache.js';
export type { IdempotencyOptions, IdempotencyLogger } from './core/options.js';
export type { IdempotencyOutcome, OutcomeListener, OutcomeName } from './core/outcome.js';
export { emfMetrics, type EmfMetricsOptions } from './ops/emf-metrics.js';
export { OUTCOME_METRICS, DURATION_METRIC, OPERATION_DIMENSION } from './ops/metric-names.js';
export type {
  IdempotencyStore,
  IdempotencyRecord,
  ClaimRecord,
  ClaimResult,
  CompletionRecord,
} from './core/store.js';
export {
  IdempotencyError,
  IdempotencyInProgressError,
  IdempotencyPayloadMismatchError,
  IdempotencyKeyMissingError,
  IdempotencyKeyInvalidError,
  IdempotencyStoreError,
  IdempotencyResultUnavailableError,
} from './core/errors.js';
export { ATTR, PARTITION_KEY, STATUS, TTL_ATTRIBUTE } from './core/table-schema.js';
export { step, type StepOptions, type StepFunction } from './steps/step.js';
export type { Replayed } from './core/replayed.js';
export type { StepStore, StepRecord, StepWriteResult } from './steps/step-store.js';
export {
  compareAndSwap,
  type CompareAndSwapInput,
  type CompareAndSwapResult,
  type VersionedUpdate,
} from './steps/compare-and-swap.js';
export { StepInterruptedError, VersionConflictError } from './steps/errors.js';
export {
  makeIdempotentBatch,
  DEFAULT_BATCH_CONCURRENCY,
  type BatchIdempotencyOptions,
  type BatchResponse,
  type RecordHandler,
} from './batch/make-idempotent-batch.js';
export type { BatchEvent, BatchRecord } from './batch/batch-event.js';
export type { FifoFailureScope } from './batch/lanes.js';
export { BatchEventInvalidError } from './batch/errors.js';
export { snsMessage, scheduledEvent, s3Notification, type KeyPreset } from './event-keys/event-keys.js';
