import type { ReadBatch, SQSRecord } from './batch-event.js';

/** What a failed FIFO record holds back: every later record of the batch, or of its message group. */
export type FifoFailureScope = 'batch' | 'message-group';

/**
 * Splits a batch into lanes of record indexes: records of one lane run in order and stop at the
 * first failure; lanes are independent. A standard SQS record is a lane of its own; a stream
 * batch (one shard) is one lane; a FIFO batch is one lane, or one per message group.
 */
export function lanesOf(batch: ReadBatch, fifoFailureScope: FifoFailureScope): number[][] {
  const indexes = batch.records.map((_, index) => index);
  if (batch.ordering === 'standard') return indexes.map((index) => [index]);
  if (batch.ordering === 'stream' || fifoFailureScope === 'batch') return [indexes];
  const groups = new Map<string, number[]>();
  for (const index of indexes) {
    const group = (batch.records[index] as SQSRecord).attributes?.MessageGroupId ?? '';
    const lane = groups.get(group);
    if (lane) lane.push(index);
    else groups.set(group, [index]);
  }
  return [...groups.values()];
}

/** Calls `fn` on every item, at most `limit` at a time. `fn` must not reject. */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) await fn(items[next++]);
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
