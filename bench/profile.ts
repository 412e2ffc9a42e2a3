/**
 * Runs one library's first executions and replays in a loop, DynamoDB answered in-process, for
 * `node --cpu-prof`: `node --cpu-prof --cpu-prof-dir=bench/.out --import tsx bench/profile.ts [library] [calls] [first|replay|both]`.
 */
import { localClient } from '../scripts/dynamodb-local.js';
import { benchContext, contender, LIBRARIES, paymentEvent, type Library } from './contenders.js';
import { FakeDynamoDB } from './fake-dynamodb.js';

const library = (process.argv[2] ?? 'retry-safe') as Library;
if (!LIBRARIES.includes(library)) throw new Error(`unknown library ${library}; one of ${LIBRARIES.join(', ')}`);
const calls = Number(process.argv[3] ?? 50_000);
const mode = process.argv[4] ?? 'both';
const fake = new FakeDynamoDB();
const client = localClient('http://127.0.0.1:9');
fake.install(client);
const handler = contender(library, { client, tableName: 'profile' });
const started = Date.now();
for (let i = 0; i < calls; i++) {
  if (mode !== 'replay' || i === 0) await handler(paymentEvent(`p-${i}`), benchContext());
  if (mode !== 'first') await handler(paymentEvent(`p-${mode === 'replay' ? 0 : i}`), benchContext());
}
console.log(`${library}: ${calls} calls (${mode}) in ${Date.now() - started} ms`);
