/**
 * `npm run demo`: plays the essay's stories against the example API and prints what happened.
 * `--url <base>` targets a running server (e.g. `npm start`); without it, the demo starts its
 * own on a free port and stops it afterwards. Exits 1 if any outcome is wrong.
 */
import { parseArgs } from 'node:util';
import { freePort } from './dynamodb-local.js';
import { formatOutcomes, playStories } from './demo-stories.js';
import { startLocalApi, type LocalApi } from './local-api.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { url: { type: 'string' } } });
  // Node 20 is supported here; the SDK's reminder about Node 22 would only clutter the table.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let api: LocalApi | undefined;
  let baseUrl = values.url;
  if (baseUrl === undefined) {
    console.log('Starting the example API and DynamoDB Local…');
    api = await startLocalApi({ port: await freePort() });
    baseUrl = api.url;
  } else if (!/^https?:\/\//.test(baseUrl)) {
    console.error(`--url must be an http(s) URL such as http://127.0.0.1:3000, got ${baseUrl}`);
    return 2;
  }
  try {
    console.log(`Playing the stories against ${baseUrl}\n`);
    const outcomes = await playStories(baseUrl, api?.webhookSecret ?? process.env.WEBHOOK_SECRET);
    console.log(formatOutcomes(outcomes));
    const wrong = outcomes.filter((o) => !o.ok).length;
    console.log(wrong === 0 ? `\nAll ${outcomes.length} outcomes as promised.` : `\n${wrong} outcome(s) wrong.`);
    return wrong === 0 ? 0 : 1;
  } catch (error) {
    console.error(`the demo could not reach ${baseUrl}: ${(error as Error).message}${values.url ? ' (is npm start running?)' : ''}`);
    return 1;
  } finally {
    await api?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm run demo failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
