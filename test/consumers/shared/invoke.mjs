// Calls a Lambda handler the way Lambda does, twice with one idempotency key, and checks that
// the second call replayed the first: the same result, the handler's side effect counted once.
// Usage: node invoke.mjs <module> [export]   (module: a path; export: default `handler`)
// Env: CONSUMER_KEY (the idempotency key), plus the table and endpoint for DynamoDB Local.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { deepStrictEqual, strictEqual } from 'node:assert/strict';

const [modulePath, exportName = 'handler'] = process.argv.slice(2);
const loaded = await import(pathToFileURL(resolve(modulePath)).href);
const handler = loaded[exportName] ?? loaded.default?.[exportName];
const sideEffects = loaded.sideEffects ?? loaded.default?.sideEffects;
if (typeof handler !== 'function' || typeof sideEffects !== 'function') {
  throw new Error(`${modulePath} must export ${exportName}() and sideEffects(); it exports ${Object.keys(loaded)}`);
}

const key = process.env.CONSUMER_KEY ?? `key-${Date.now()}`;
const context = {
  functionName: 'consumer-fixture',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:consumer-fixture',
  memoryLimitInMB: '128',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/consumer-fixture',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
};

const first = await handler({ orderId: key }, { ...context });
const replay = await handler({ orderId: key }, { ...context, awsRequestId: 'request-2' });
strictEqual(sideEffects(), 1, 'the replay must not run the handler again');
deepStrictEqual(replay, first, 'the replay must return the first result');
const other = await handler({ orderId: `${key}-other` }, { ...context, awsRequestId: 'request-3' });
strictEqual(sideEffects(), 2, 'a new key must run the handler');
console.log(JSON.stringify({ node: process.version, first, replay, other }));
