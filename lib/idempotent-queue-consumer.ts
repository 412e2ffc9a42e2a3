import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IdempotentFunction, type IdempotentFunctionProps } from './idempotent-function.js';

/**
 * How many times longer than the function's timeout a queue's visibility timeout must be:
 * AWS's guidance for Lambda event sources, so a message is not redelivered while a batch that
 * holds it is still running (and retried by Lambda).
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** Default {@link IdempotentQueueConsumerProps.maxReceiveCount}. */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;

// Lambda's default function timeout, which NodejsFunction keeps when none is given.
const LAMBDA_DEFAULT_TIMEOUT = Duration.seconds(3);
// SQS's default visibility timeout, for a queue created without one.
const SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;

/** Properties of an {@link IdempotentQueueConsumer}: those of an `IdempotentFunction`, plus its queue's. */
export interface IdempotentQueueConsumerProps extends IdempotentFunctionProps {
  /**
   * The queue to consume. Its visibility timeout is checked at synthesis (at least six times the
   * function's timeout plus the batching window); its dead-letter queue, SSL policy and
   * encryption are its owner's to set.
   * @default - a new queue, encrypted, SSL only, with a dead-letter queue
   */
  readonly queue?: sqs.IQueue;
  /**
   * Properties of the queue created when `queue` is not given. Encryption cannot be turned off.
   * @default - SQS-managed encryption, SSL only, visibility timeout six times the function's timeout plus the batching window
   */
  readonly queueProps?: sqs.QueueProps;
  /**
   * How many receives a message gets before it moves to the dead-letter queue (created queue only).
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Most records per invocation.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers records before invoking.
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Most concurrent invocations this event source starts (2 to 1000).
   * @default - no limit other than the function's
   */
  readonly maxConcurrency?: number;
}

/**
 * An `IdempotentFunction` fed by an SQS queue, for a handler made with `makeIdempotentBatch`:
 * partial batch responses on (`reportBatchItemFailures`), a dead-letter queue after
 * `maxReceiveCount` receives, a visibility timeout of at least six times the function's
 * timeout, SSL-only queue policies and encryption on both queues.
 *
 * @example
 * const idempotencyTable = new IdempotencyTable(this, 'Idempotency');
 * const consumer = new IdempotentQueueConsumer(this, 'Fulfilment', {
 *   entry: 'lambda/fulfilment.ts',
 *   idempotencyTable,
 *   timeout: Duration.seconds(30),
 * });
 * consumer.queue.grantSendMessages(ordersApi);
 */
export class IdempotentQueueConsumer extends Construct {
  /** The queue the function consumes. */
  readonly queue: sqs.IQueue;
  /** Where messages go after `maxReceiveCount` receives: the created one, or the given queue's, if it has one. */
  readonly deadLetterQueue: sqs.IQueue | undefined;
  /** The consuming function. */
  readonly function: IdempotentFunction;

  constructor(scope: Construct, id: string, props: IdempotentQueueConsumerProps) {
    super(scope, id);
    const { queue, queueProps, maxReceiveCount, batchSize, maxBatchingWindow, maxConcurrency, ...functionProps } = props;
    if (queue && (queueProps || maxReceiveCount !== undefined)) {
      throw new Error(
        `IdempotentQueueConsumer ${id}: queueProps and maxReceiveCount shape the created queue; with your own queue, set them on it`,
      );
    }
    const minimumVisibility = minimumVisibilityTimeout(functionProps.timeout, maxBatchingWindow);

    this.function = new IdempotentFunction(this, 'Function', functionProps);

    if (queue) {
      this.queue = queue;
      this.deadLetterQueue = queue instanceof sqs.Queue ? queue.deadLetterQueue?.queue : undefined;
      const resource = queue instanceof sqs.Queue ? queue.node.defaultChild : undefined;
      if (resource instanceof sqs.CfnQueue) {
        // At synthesis, not now: the queue's properties may still change after this constructor.
        this.node.addValidation({ validate: () => checkVisibilityTimeout(resource, minimumVisibility) });
      } else {
        Annotations.of(this).addWarningV2(
          'retry-safe:visibilityTimeoutUnchecked',
          `the visibility timeout of an imported queue cannot be checked: make it at least ${minimumVisibility.toSeconds()} s`,
        );
      }
      if (queue instanceof sqs.Queue && !queue.deadLetterQueue) {
        Annotations.of(this).addWarningV2(
          'retry-safe:queueWithoutDeadLetterQueue',
          'the queue has no dead-letter queue: a message that always fails is retried until it expires',
        );
      }
    } else {
      const created = createQueues(this, queueProps, maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT, minimumVisibility);
      this.queue = created.queue;
      this.deadLetterQueue = created.deadLetterQueue;
    }

    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        reportBatchItemFailures: true,
        batchSize: batchSize ?? 10,
        maxBatchingWindow,
        maxConcurrency,
      }),
    );
  }
}

/** Six times the function's timeout, plus the batching window (records wait in it, invisible). */
function minimumVisibilityTimeout(timeout: Duration | undefined, batchingWindow: Duration | undefined): Duration {
  const seconds = VISIBILITY_TIMEOUT_FACTOR * (timeout ?? LAMBDA_DEFAULT_TIMEOUT).toSeconds() + (batchingWindow?.toSeconds() ?? 0);
  return Duration.seconds(seconds);
}

function createQueues(
  scope: Construct,
  queueProps: sqs.QueueProps | undefined,
  maxReceiveCount: number,
  minimumVisibility: Duration,
): { queue: sqs.Queue; deadLetterQueue: sqs.Queue } {
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
    throw new Error(`IdempotentQueueConsumer ${scope.node.id}: maxReceiveCount must be an integer from 1 to 1000, got ${maxReceiveCount}`);
  }
  if (queueProps?.encryption === sqs.QueueEncryption.UNENCRYPTED) {
    throw new Error(`IdempotentQueueConsumer ${scope.node.id}: queueProps.encryption cannot be UNENCRYPTED; both queues are encrypted`);
  }
  const visibilityTimeout = queueProps?.visibilityTimeout ?? minimumVisibility;
  if (!Token.isUnresolved(visibilityTimeout.toSeconds()) && visibilityTimeout.toSeconds() < minimumVisibility.toSeconds()) {
    throw new Error(
      `IdempotentQueueConsumer ${scope.node.id}: queueProps.visibilityTimeout is ${visibilityTimeout.toSeconds()} s; ` +
        `it must be at least ${minimumVisibility.toSeconds()} s (six times the function's timeout plus the batching window)`,
    );
  }
  const encryption = queueProps?.encryption ?? sqs.QueueEncryption.SQS_MANAGED;
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    fifo: queueProps?.fifo,
    encryption,
    encryptionMasterKey: queueProps?.encryptionMasterKey,
    enforceSSL: true,
    // The longest SQS allows: time to look at a poison message and redrive it.
    retentionPeriod: Duration.days(14),
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    ...queueProps,
    encryption,
    enforceSSL: true,
    visibilityTimeout,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}

/** Synthesis-time check of a given queue's visibility timeout. */
function checkVisibilityTimeout(resource: sqs.CfnQueue, minimum: Duration): string[] {
  const seconds: unknown = Stack.of(resource).resolve(resource.visibilityTimeout) ?? SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS;
  if (typeof seconds !== 'number' || seconds >= minimum.toSeconds()) return [];
  return [
    `the queue's visibility timeout is ${seconds} s; it must be at least ${minimum.toSeconds()} s (six times the ` +
      `function's timeout plus the batching window), or a message is redelivered while its batch still runs: ` +
      `set visibilityTimeout: Duration.seconds(${minimum.toSeconds()}) on the queue`,
  ];
}
