/**
 * `npm run demo:queue`: a queue consumer and a stream consumer at work without AWS. Starts
 * DynamoDB Local and an in-process SQS-compatible server (fauxqs), plays Lambda's event source
 * mappings with small pollers (SQS; DynamoDB Local's own stream), and checks each outcome.
 * Exits 1 if any is wrong.
 */
import { startDynamoDBLocal, type DynamoDBLocal } from './dynamodb-local.js';
import { playQueueStories } from './queue-demo-story.js';
import { playStreamStories } from './stream-demo-story.js';

async function main(): Promise<number> {
  // Node 20 is supported here; the SDK's reminder about Node 22 would only clutter the output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  console.log('Starting DynamoDB Local and an in-process SQS server (fauxqs)…\n');
  let local: DynamoDBLocal | undefined;
  try {
    local = await startDynamoDBLocal();
    const log = (line: string) => console.log(`  ${line}`);
    console.log('An SQS queue consumer:');
    const outcomes = await playQueueStories(local.endpoint, log);
    console.log('\nA DynamoDB Streams consumer, on DynamoDB Local\'s stream:');
    outcomes.push(...(await playStreamStories(local.endpoint, log)));
    console.log('');
    for (const o of outcomes) console.log(`${o.ok ? '✓' : '✗'} ${o.story}: expected ${o.expected}, got ${o.actual}`);
    const wrong = outcomes.filter((o) => !o.ok).length;
    console.log(wrong === 0 ? `\nAll ${outcomes.length} outcomes as promised.` : `\n${wrong} outcome(s) wrong.`);
    return wrong === 0 ? 0 : 1;
  } finally {
    await local?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
