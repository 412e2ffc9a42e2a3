/**
 * `npm run bench`: retry-safe against Powertools idempotency, side by side, in one run.
 * Options: `--only=requests,cpu,latency,bundle,storm,batch,valkey` to run some sections; `--write` to write
 * `bench/results.md`; `--quick` for fewer calls (a smoke run, not for publishing).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type as osType, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDynamoDBLocal, type DynamoDBLocal } from '../scripts/dynamodb-local.js';
import { measureBatches } from './batch.js';
import { measureBundles } from './bundle.js';
import { LIBRARIES, type Library } from './contenders.js';
import { measureBareMiddy, measureCpu, measureMetricsOverhead } from './cpu.js';
import { measureLatency } from './latency.js';
import { details, findings, table, type BenchResults } from './report.js';
import { measureRequests, type RequestFigures } from './requests.js';
import { measureStorm, type StormFigures } from './storm.js';
import { measureValkey, valkeyTable } from './valkey.js';

const SECTIONS = ['requests', 'cpu', 'latency', 'bundle', 'storm', 'batch', 'valkey'] as const;
type Section = (typeof SECTIONS)[number];

const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',') ?? [...SECTIONS];
const unknown = only.filter((s) => !SECTIONS.includes(s as Section));
if (unknown.length > 0) throw new Error(`unknown section(s) ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}`);
const quick = args.includes('--quick');
const write = args.includes('--write');
const wants = (section: Section) => only.includes(section);

const SIZES = quick
  ? { cpuCalls: 2_000, cpuWarmup: 1_000, latencyCalls: 40, latencyWarmup: 10, loadRuns: 5, stormKeys: 5, batchRuns: 10, batchWarmup: 3 }
  : { cpuCalls: 20_000, cpuWarmup: 5_000, latencyCalls: 3_000, latencyWarmup: 300, loadRuns: 20, stormKeys: 20, batchRuns: 100, batchWarmup: 10 };

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function perLibrary<T>(measure: (library: Library) => Promise<T>): Promise<Record<Library, T>> {
  const out = {} as Record<Library, T>;
  for (const library of LIBRARIES) out[library] = await measure(library);
  return out;
}

async function main(): Promise<void> {
  // Node 20 is what Lambda's nodejs20.x runs; the SDK's reminder about Node 22 is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const started = Date.now();
  const results: {
    -readonly [K in keyof BenchResults]: BenchResults[K];
  } = {};
  let local: DynamoDBLocal | undefined;
  try {
    // In-process sections first, before DynamoDB Local's JVM is running alongside, and before
    // the libraries' code has seen a real client (both would only add noise to CPU figures).
    if (wants('cpu')) {
      log(`library CPU, ${SIZES.cpuCalls} calls per library and scenario`);
      const libraries = await measureCpu({ calls: SIZES.cpuCalls, warmupCalls: SIZES.cpuWarmup, blockSize: 500 });
      const bareMiddy = await measureBareMiddy(SIZES.cpuCalls);
      log('retry-safe CPU with emfMetrics off and on');
      const metrics = await measureMetricsOverhead({ calls: SIZES.cpuCalls, warmupCalls: SIZES.cpuWarmup, blockSize: 500 });
      results.cpu = { libraries, bareMiddy, metrics, calls: SIZES.cpuCalls };
    }
    if (wants('bundle')) {
      log(`bundles, and load time over ${SIZES.loadRuns} fresh processes each`);
      results.bundles = { ...(await measureBundles(SIZES.loadRuns)), runs: SIZES.loadRuns };
    }
    if (wants('requests') || wants('latency') || wants('storm') || wants('batch')) {
      log('starting DynamoDB Local');
      local = await startDynamoDBLocal();
    }
    if (wants('requests') && local) {
      log('counting requests');
      const endpoint = local.endpoint;
      results.requests = await perLibrary<RequestFigures>((library) => measureRequests(library, endpoint));
    }
    if (wants('latency') && local) {
      log(`latency on DynamoDB Local, ${SIZES.latencyCalls} calls per library and scenario`);
      const latency = await measureLatency(local.endpoint, SIZES.latencyCalls, SIZES.latencyWarmup);
      results.latency = { ...latency, calls: SIZES.latencyCalls };
    }
    if (wants('storm') && local) {
      log(`storm: 50 concurrent calls on each of ${SIZES.stormKeys} new keys`);
      const endpoint = local.endpoint;
      results.storms = await perLibrary<StormFigures>((library) =>
        measureStorm(library, endpoint, { keys: SIZES.stormKeys, concurrency: 50, workMs: 50 }),
      );
    }
    if (wants('batch') && local) {
      log(`batches: ${SIZES.batchRuns} runs of one new record, ten new and ten replayed, per library`);
      results.batches = { ...(await measureBatches(local.endpoint, SIZES.batchRuns, SIZES.batchWarmup)), runs: SIZES.batchRuns };
    }
  } finally {
    await local?.stop();
  }
  let valkey = '';
  if (wants('valkey')) {
    log(`ValkeyStore on a local redis-server, ${SIZES.latencyCalls} calls per scenario`);
    const figures = await measureValkey(SIZES.latencyCalls, SIZES.latencyWarmup);
    if (figures) valkey = valkeyTable(figures);
    else log('redis-server is not installed: the valkey section is skipped');
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  // The side-by-side table only when a section comparing the two libraries ran.
  const compared = only.some((section) => section !== 'valkey');
  const output = [compared ? table(results) : '', findings(results), details(results), valkey].filter(Boolean).join('\n\n');
  process.stdout.write(`\n${output}\n(${seconds} s)\n`);
  if (write) {
    const file = join(ROOT, 'bench', 'results.md');
    writeFileSync(file, resultsPage(output, seconds));
    log(`wrote ${file}`);
  }
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The commit measured, and whether the working tree differed from it. */
function commit(): string {
  const git = (...gitArgs: string[]) => execFileSync('git', gitArgs, { cwd: ROOT, encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'lambda', 'bench', 'package.json').length > 0;
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' plus uncommitted changes' : ''}`;
  } catch {
    return 'an unknown commit (no git)';
  }
}

function versionOf(packageJson: string): string {
  return (JSON.parse(readFileSync(join(ROOT, packageJson), 'utf8')) as { version: string }).version;
}

function resultsPage(output: string, seconds: string): string {
  const cpu = cpus();
  const versions = [
    `retry-safe ${versionOf('package.json')} at ${commit()}`,
    `@aws-lambda-powertools/idempotency ${versionOf('node_modules/@aws-lambda-powertools/idempotency/package.json')}`,
    `@middy/core ${versionOf('node_modules/@middy/core/package.json')}`,
    `@aws-sdk/client-dynamodb ${versionOf('node_modules/@aws-sdk/client-dynamodb/package.json')}`,
    `esbuild ${versionOf('node_modules/esbuild/package.json')}`,
    `Node ${process.version}`,
  ];
  return [
    '# Benchmark: retry-safe and Powertools idempotency, side by side',
    '',
    `Run on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`npm run bench -- --write\` (${seconds} s).`,
    `Versions: ${versions.join(', ')}. Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${osType()} ${release()} (shared with other work: read ratios, not absolutes).`,
    '',
    'Ratio is retry-safe ÷ Powertools: lower is better for retry-safe. Both libraries run the same',
    'Middy handler and event (a ~600-byte payment), keyed by `paymentId`, with the whole event as',
    'the payload fingerprint (retry-safe\'s default; Powertools with `payloadValidationJmesPath: "@"`),',
    'each against its own table in the same DynamoDB Local. Both tables have the same schema, partition',
    'key `id` and TTL on `expiration`, which is also Powertools\' default (it adds the attributes `status`,',
    '`in_progress_expiration`, `data` and `validation`).',
    '',
    output,
  ].join('\n');
}

await main();
