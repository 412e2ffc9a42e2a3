import { describe, expect, inject, it } from 'vitest';
import { playQueueStories } from '../../scripts/queue-demo-story.js';
import { playStreamStories } from '../../scripts/stream-demo-story.js';

describe('the queue demo, on fauxqs and DynamoDB Local', () => {
  it('shows a redelivered batch replayed, a poison message in the dead-letter queue, and each order shipped once', async () => {
    const outcomes = await playQueueStories(inject('dynamoDBEndpoint'));

    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(outcomes).toHaveLength(6);
  }, 60_000);

  it("shows a stream consumer on DynamoDB Local's own stream: stop at a failure, resume there, replay a retried batch", async () => {
    const outcomes = await playStreamStories(inject('dynamoDBEndpoint'));

    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(outcomes).toHaveLength(4);
  }, 60_000);
});
