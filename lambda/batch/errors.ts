import { IdempotencyError } from '../core/errors.js';

/**
 * The event given to a batch handler is not an SQS, Kinesis or DynamoDB Streams batch (or mixes
 * sources, or lacks a field a record needs). Thrown before anything is claimed or run.
 */
export class BatchEventInvalidError extends IdempotencyError {
  override readonly name = 'BatchEventInvalidError';

  constructor(reason: string) {
    super(`not a queue or stream batch: ${reason}`);
  }
}
