/**
 * `npm start`: the example API on http://127.0.0.1:3000, on an embedded DynamoDB Local.
 * Options: `--port <n>` (default 3000), `--data-dir <dir>` (persist tables; default in memory),
 * `--dynamodb-endpoint <url>` (use a running DynamoDB Local instead of starting one).
 */
import { parseArgs } from 'node:util';
import { startLocalApi } from './local-api.js';

const STOP_TIMEOUT_MS = 10_000;
const USAGE = 'usage: npm start -- [--port <n>] [--data-dir <dir>] [--dynamodb-endpoint <url>]';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        'dynamodb-endpoint': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = values.port === undefined ? 3000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`--port must be a port number, got ${values.port}\n${USAGE}`, 2);

  // Node 20 is supported here; the SDK's reminder about Node 22 would only clutter the console.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  console.log(values['dynamodb-endpoint'] ? 'Starting…' : 'Starting (DynamoDB Local takes a few seconds)…');
  const api = await startLocalApi({
    port,
    dataDir: values['data-dir'],
    dynamoDBEndpoint: values['dynamodb-endpoint'],
  });
  const storage = !api.ownsDynamoDB ? '(yours)' : values['data-dir'] ? `(data in ${values['data-dir']})` : '(in memory)';
  console.log(`retry-safe example API listening on ${api.url}
  POST ${api.url}/orders        Idempotency-Key header required
  GET  ${api.url}/orders/{id}
  POST ${api.url}/webhooks/payments  Standard Webhooks deliveries (secret from WEBHOOK_SECRET, else the demo's)
DynamoDB Local: ${api.dynamoDBEndpoint} ${storage}
Press Ctrl-C to stop.`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // Ctrl-C reaches this process twice (from the terminal and relayed by tsx): act on the first.
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the server and DynamoDB Local…`);
    setTimeout(() => fail(`could not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting`, 1), STOP_TIMEOUT_MS).unref();
    api.close().then(
      () => process.exit(0),
      (error: unknown) => fail(`could not stop cleanly: ${(error as Error).message}`, 1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function fail(message: string, code: number): never {
  console.error(message);
  process.exit(code);
}

main().catch((error: unknown) => fail(`npm start failed: ${(error as Error).message}`, 1));
