/**
 * The kit on a queue consumer: an SQS batch delivered again (as SQS redelivers a batch whose
 * invocation failed or timed out) runs no record twice, and a record that failed runs again.
 */
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeIdempotentBatch } from '../../../lambda/index.js';
import { FaultyStore, InMemoryStore, simulateRetries } from '../../../lambda/testing/index.js';
import { recordingLogger } from '../../support/lambda-context.js';
import { batchOf, sqsRecord } from '../batch/events.js';

describe('simulateRetries on a batch handler', () => {
  it('redelivers an SQS batch: each record’s effect happens once, the failed record runs again', async () => {
    const store = new FaultyStore(new InMemoryStore());
    const shipped: string[] = [];
    let failures = 1;
    const handler = makeIdempotentBatch(
      async (record: SQSRecord) => {
        const { orderId } = JSON.parse(record.body) as { orderId: string };
        if (orderId === 'o-2' && failures-- > 0) throw new Error('warehouse busy');
        shipped.push(orderId);
      },
      { store, name: 'ship', logger: recordingLogger() },
    );
    const batch = batchOf(['o-1', 'o-2', 'o-3'].map((orderId) => sqsRecord(JSON.stringify({ orderId }))));

    const report = await simulateRetries(handler, batch, { store, attempts: 3 });

    expect(report.attempts.map((a) => a.status)).toEqual(['returned', 'returned', 'returned']);
    const [first, second, third] = report.attempts.map((a) => (a.status === 'returned' ? a.value : undefined));
    expect(first?.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[1]?.messageId }]);
    expect(second?.batchItemFailures).toEqual([]);
    expect(third?.batchItemFailures).toEqual([]);
    expect(shipped.sort()).toEqual(['o-1', 'o-2', 'o-3']);
  });
});
