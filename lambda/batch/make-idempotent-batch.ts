import type { LambdaContext as Context } from '../core/lambda-types.js';
import { claimRequest, complete, identify, operationName, release, type Decision } from '../core/engine.js';
import {
  IdempotencyError,
  IdempotencyInProgressError,
  IdempotencyPayloadMismatchError,
  IdempotencyResultUnavailableError,
  IdempotencyStoreError,
} from '../core/errors.js';
import { resolveOptions, type IdempotencyOptions, type ResolvedOptions } from '../core/options.js';
import { callStart, outcomeOfError, reportOutcome } from '../core/outcome.js';
import { runWithin } from '../steps/scope.js';
import { readBatch, type BatchEvent, type BatchRecord, type BatchSource, type SourceRules } from './batch-event.js';
import { forEachBounded, lanesOf, type FifoFailureScope } from './lanes.js';

/** Handles one record of a batch; runs at most once per record key, like a `makeIdempotent` handler per event. */
export type RecordHandler<TRecord extends BatchRecord, TResult = unknown, TContext extends Context = Context> = (
  record: TRecord,
  context: TContext,
) => Promise<TResult> | TResult;

/** The answer Lambda reads for SQS, Kinesis and DynamoDB Streams alike (`ReportBatchItemFailures`); `SQSBatchResponse` from `aws-lambda` is one. */
export interface BatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

/** Options for {@link makeIdempotentBatch}: those of `makeIdempotent`, applied per record, and the batch's own. */
export interface BatchIdempotencyOptions<TRecord extends BatchRecord = BatchRecord>
  extends Omit<IdempotencyOptions<TRecord>, 'key' | 'fingerprint'> {
  /**
   * A record's idempotency key. Pass a business key (an order id from the body) when the same
   * work can arrive as a new message: a producer that resends, or a dead-letter queue redrive,
   * which gives each message a new `messageId`.
   * @default - SQS `messageId`, Kinesis and DynamoDB Streams `eventID`, each scoped to the
   * record's `eventSourceARN`: what a redelivery repeats
   */
  readonly key?: (record: TRecord, context: Context | undefined) => string | undefined;
  /**
   * What must be identical when a record key is reused; hashed canonically.
   * @default - the payload: SQS `body`, Kinesis `data`, the stream record's keys and images,
   * never delivery metadata that changes between redeliveries (receipt handle, receive count)
   */
  readonly fingerprint?: (record: TRecord) => unknown;
  /**
   * How many records of a standard SQS batch run at once (with `fifoFailureScope:
   * 'message-group'`, how many FIFO message groups). Streams and FIFO batches run in order.
   * @default 10
   */
  readonly concurrency?: number;
  /**
   * What a failed record of a FIFO queue holds back: every later record of the batch, or only
   * the later ones of its own message group (the groups then run concurrently).
   * @default 'batch'
   */
  readonly fifoFailureScope?: FifoFailureScope;
  /**
   * What to do with a record whose key was used before with a different payload: `fail` reports
   * it, so it reaches the dead-letter queue rather than vanishing; `skip` logs an error and
   * counts it as handled. Either way the record handler does not run.
   * @default 'fail'
   */
  readonly onPayloadMismatch?: 'fail' | 'skip';
}

/** Default {@link BatchIdempotencyOptions.concurrency}: SQS's default batch size, so a default batch costs one record's wall time. */
export const DEFAULT_BATCH_CONCURRENCY = 10;

/**
 * Wraps a record handler into a Lambda handler for SQS, Kinesis and DynamoDB Streams batches
 * that answers `{ batchItemFailures }` (turn on `ReportBatchItemFailures` on the event source
 * mapping). Each record is claimed, run, completed or released through the same engine as
 * `makeIdempotent`, so it runs at most once per key among redeliveries and concurrent
 * invocations; `step()` inside the record handler is scoped to the record.
 *
 * Reported: a record whose handler threw, whose key is in progress elsewhere, whose key was
 * used with another payload (by default), or whose claim failed in the store. Standard SQS
 * records run concurrently; FIFO and stream batches stop at the first failure and report it
 * with every later record (streams: the first failure's sequence number, where Lambda resumes).
 * Usable as a Middy handler: `middy(makeIdempotentBatch(...)).use(...)`.
 *
 * @example
 * export const handler = makeIdempotentBatch(
 *   async (record: SQSRecord) => fulfil(JSON.parse(record.body)),
 *   { store: new DynamoDBStore() },
 * );
 */
export function makeIdempotentBatch<TRecord extends BatchRecord = BatchRecord, TResult = unknown, TContext extends Context = Context>(
  recordHandler: RecordHandler<TRecord, TResult, TContext>,
  options: BatchIdempotencyOptions<TRecord>,
): (event: BatchEvent<TRecord>, context: TContext) => Promise<BatchResponse> {
  if (typeof recordHandler !== 'function') {
    throw new IdempotencyError(`makeIdempotentBatch needs a record handler function, got ${typeof recordHandler}`);
  }
  const base = resolveOptions<BatchRecord>({ ...(options as BatchIdempotencyOptions), key: undefined, fingerprint: undefined });
  const concurrency = options.concurrency ?? DEFAULT_BATCH_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new IdempotencyError(`options.concurrency must be a positive integer, got ${concurrency}`);
  }
  const fifoFailureScope = options.fifoFailureScope ?? 'batch';
  if (fifoFailureScope !== 'batch' && fifoFailureScope !== 'message-group') {
    throw new IdempotencyError(`options.fifoFailureScope must be 'batch' or 'message-group', got ${JSON.stringify(fifoFailureScope)}`);
  }
  const onPayloadMismatch = options.onPayloadMismatch ?? 'fail';
  if (onPayloadMismatch !== 'fail' && onPayloadMismatch !== 'skip') {
    throw new IdempotencyError(`options.onPayloadMismatch must be 'fail' or 'skip', got ${JSON.stringify(onPayloadMismatch)}`);
  }
  const userKey = options.key as BatchIdempotencyOptions['key'];
  const userFingerprint = options.fingerprint as BatchIdempotencyOptions['fingerprint'];
  // The handler gets the context it was given, of whatever type it declares.
  const handler = recordHandler as unknown as RecordHandler<BatchRecord, TResult>;
  const { logger } = base;
  // One resolved copy per source, made on first use: the defaults differ by source.
  const perSource = new Map<BatchSource, ResolvedOptions<BatchRecord>>();
  const optionsFor = (rules: SourceRules): ResolvedOptions<BatchRecord> => {
    let resolved = perSource.get(rules.source);
    if (!resolved) {
      resolved = { ...base, key: userKey ?? rules.defaultKey, fingerprint: userFingerprint ?? rules.defaultFingerprint };
      perSource.set(rules.source, resolved);
    }
    return resolved;
  };

  /**
   * Runs one record through claim, handler and completion, and reports its outcome once, as
   * `makeIdempotent` does per call; true when it needs no redelivery.
   */
  async function handleRecord(record: BatchRecord, rules: SourceRules, context: Context): Promise<boolean> {
    const startedAt = callStart(base);
    const functionName = context?.functionName;
    const itemIdentifier = rules.itemIdentifier(record);
    const resolved = optionsFor(rules);
    let decision: Decision;
    try {
      const identity = identify(resolved, record, context);
      if (!identity) return await runUnclaimed(record, context, itemIdentifier);
      // A record's own id is unique within its queue or stream only: keep sources apart.
      const scope = userKey ? undefined : (record as { eventSourceARN?: string }).eventSourceARN;
      decision = await claimRequest(resolved, identity, context, scope);
    } catch (error) {
      const outcome = outcomeOfError(error);
      if (outcome) reportOutcome(base, functionName, startedAt, outcome);
      return claimFailed(error, itemIdentifier);
    }
    if (decision.action === 'replay') {
      reportOutcome(base, functionName, startedAt, 'replayed', decision.from);
      return true;
    }
    if (decision.action !== 'run') return true;
    const { execution } = decision;
    let result: TResult;
    try {
      result = await runWithin(execution, () => handler(record, context));
    } catch (error) {
      logger.error('retry-safe: a record handler failed; the record is reported for redelivery', { itemIdentifier, error });
      // The handler's promise has settled: nothing of this record still runs, so a retry may.
      await release(execution);
      reportOutcome(base, functionName, startedAt, 'released');
      return false;
    }
    const stored = await complete(execution, result);
    reportOutcome(base, functionName, startedAt, stored ? 'executed' : 'completion_lost');
    return true;
  }

  async function runUnclaimed(record: BatchRecord, context: Context, itemIdentifier: string): Promise<boolean> {
    try {
      await runWithin({ unclaimed: true }, () => handler(record, context));
      return true;
    } catch (error) {
      logger.error('retry-safe: a record handler failed; the record is reported for redelivery', { itemIdentifier, error });
      return false;
    }
  }

  /**
   * Says, for a record whose claim did not give it to this invocation, whether it is done. The
   * engine has logged a store failure and a mismatch by record id; this adds what the batch did.
   */
  function claimFailed(error: unknown, itemIdentifier: string): boolean {
    // Completed before, with a result too large to keep: done, nothing to replay.
    if (error instanceof IdempotencyResultUnavailableError) return true;
    if (error instanceof IdempotencyPayloadMismatchError) {
      if (onPayloadMismatch === 'fail') return false;
      logger.error('retry-safe: a record reused a key with a different payload; skipped, not reported (onPayloadMismatch: skip)', {
        itemIdentifier,
      });
      return true;
    }
    if (error instanceof IdempotencyInProgressError) {
      logger.warn('retry-safe: a record is in progress in another invocation; reported, not run', {
        itemIdentifier,
        retryAfterMs: error.retryAfterMs,
      });
    } else if (!(error instanceof IdempotencyStoreError)) {
      // Name and message only: the cause is what the key function threw, and a parser's error
      // (JSON.parse's among them) quotes the body it choked on.
      const { name, message } = error as Error;
      logger.error('retry-safe: a record was not run: its key could not be used; reported for redelivery', {
        itemIdentifier,
        error: { name, message },
      });
    }
    return false;
  }

  return async function idempotentBatchHandler(event: BatchEvent<TRecord>, context: TContext): Promise<BatchResponse> {
    const batch = readBatch(event);
    const { rules } = batch;
    if (!rules) return { batchItemFailures: [] };
    // A missing name is a configuration error: fail the invocation, not each record.
    operationName(base, context);
    const failed = new Set<number>();
    const lanes = lanesOf(batch, fifoFailureScope);
    await forEachBounded(lanes, concurrency, async function runLane(lane) {
      for (let i = 0; i < lane.length; i++) {
        if (await handleRecord(batch.records[lane[i]], rules, context)) continue;
        // In order (a FIFO group, a stream): nothing after a failure may run before it.
        for (const index of lane.slice(i)) failed.add(index);
        return;
      }
    });
    const reported = [...failed].sort((a, b) => a - b);
    // A stream resumes from the sequence number reported first; later ones would say nothing more.
    const items = batch.ordering === 'stream' ? reported.slice(0, 1) : reported;
    const batchItemFailures: BatchResponse['batchItemFailures'] = items.map((index) => ({
      itemIdentifier: rules.itemIdentifier(batch.records[index]),
    }));
    return { batchItemFailures };
  };
}
