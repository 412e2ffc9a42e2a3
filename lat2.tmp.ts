import { createIdempotencyTable, localClient, startDynamoDBLocal } from './scripts/dynamodb-local.js';
import { benchContext, contender, LIBRARIES, paymentEvent, type Library } from './bench/contenders.js';
const db = await startDynamoDBLocal();
const shared = process.argv[2] === 'shared';
const sharedClient = localClient(db.endpoint);
const handlers = {} as Record<Library, (e: unknown, c: unknown) => Promise<unknown>>;
for (const library of LIBRARIES) {
  const client = shared ? sharedClient : localClient(db.endpoint);
  const tableName = `lat-${library}`;
  await createIdempotencyTable(client, tableName);
  handlers[library] = contender(library, { client, tableName }) as never;
}
const context = benchContext();
const t: Record<string, number[]> = { 'retry-safe': [], powertools: [] };
for (let i = 0; i < 2300; i++) {
  for (const library of i % 2 ? LIBRARIES : [...LIBRARIES].reverse()) {
    const s = process.hrtime.bigint();
    await handlers[library](paymentEvent(`k-${i}`), context);
    if (i >= 300) t[library].push(Number(process.hrtime.bigint() - s) / 1e6);
    if (process.argv[3] === 'replay') await handlers[library](paymentEvent(`k-${i}`), context);
  }
}
const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(a.length * p)];
for (const [k, a] of Object.entries(t)) console.log(shared ? 'shared' : 'separate', k.padEnd(12), 'p50', pct(a, 0.5).toFixed(2), 'p95', pct(a, 0.95).toFixed(2), 'p99', pct(a, 0.99).toFixed(2));
await db.stop();
