/**
 * `npm run bench`: retry-safe against Powertools idempotency, side by side, in one run.
 * Options: `--only=requests,cost,cpu,latency,bundle,storm,batch,valkey` to run some sections; `--write` to write
 * `bench/results.md`; `--quick` for fewer calls (a smoke run, not for publishing); `--rounds=N` (default 3)
 * to repeat the measured sections N times, each ratio reported as the median of rounds with its range.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type as osType, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDynamoDBLocal, type DynamoDBLocal } from '../scripts/dynamodb-local.js';
import { measureBatches } from './batch.js';
import { measureBundleSizes, measureLoad, type LoadFigures } from './bundle.js';
import { LIBRARIES, type Library } from './contenders.js';
import { measureCosts, type CostFigures } from './cost.js';
import { measureBareMiddy, measureCpu, measureMetricsOverhead } from './cpu.js';
import { measureLatency, type LatencyResult } from './latency.js';
import type { BatchFigures } from './batch.js';
import { details, findings, table, type BenchResults, type CpuRound } from './report.js';
import { measureRequests, type RequestFigures } from './requests.js';
import { measureStorm, type StormFigures } from './storm.js';
import { measureValkey, valkeyTable } from './valkey.js';

const SECTIONS = ['requests', 'cost', 'cpu', 'latency', 'bundle', 'storm', 'batch', 'valkey'] as const;
type Section = (typeof SECTIONS)[number];

const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',') ?? [...SECTIONS];
const unknown = only.filter((s) => !SECTIONS.includes(s as Section));
if (unknown.length > 0) throw new Error(`unknown section(s) ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}`);
const quick = args.includes('--quick');
const write = args.includes('--write');
const wants = (section: Section) => only.includes(section);
const roundsArg = args.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length);
const ROUNDS = roundsArg === undefined ? 3 : Number(roundsArg);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`--rounds must be a whole number from 1, got ${roundsArg}`);

// Calls per round: the rounds together make about what one round used to, so that a full run
// stays within a few minutes on two shared cores.
const SIZES = quick
  ? { cpuCalls: 1_000, cpuWarmup: 500, latencyCalls: 30, latencyWarmup: 10, loadRuns: 3, stormKeys: 5, batchRuns: 5, batchWarmup: 2 }
  : { cpuCalls: 8_000, cpuWarmup: 3_000, latencyCalls: 1_000, latencyWarmup: 100, loadRuns: 8, stormKeys: 20, batchRuns: 35, batchWarmup: 5 };

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
    results.rounds = ROUNDS;
    if (wants('cpu')) {
      const rounds: CpuRound[] = [];
      const options = { calls: SIZES.cpuCalls, warmupCalls: SIZES.cpuWarmup, blockSize: 500 };
      for (let round = 1; round <= ROUNDS; round++) {
        log(`library CPU, round ${round}/${ROUNDS}: ${SIZES.cpuCalls} calls per library and scenario, then with emfMetrics off and on`);
        const libraries = await measureCpu(options);
        const bareMiddy = await measureBareMiddy(SIZES.cpuCalls);
        const metrics = await measureMetricsOverhead(options);
        rounds.push({ libraries, bareMiddy, metrics });
      }
      results.cpu = { rounds, calls: SIZES.cpuCalls };
    }
    if (wants('bundle')) {
      log(`bundles, and load time over ${SIZES.loadRuns} fresh processes each per round`);
      const sizes = await measureBundleSizes();
      const load: LoadFigures[] = [];
      for (let round = 1; round <= ROUNDS; round++) load.push(await measureLoad(sizes.sizes, SIZES.loadRuns));
      results.bundles = { ...sizes, load, runs: SIZES.loadRuns };
    }
    if (wants('requests') || wants('cost') || wants('latency') || wants('storm') || wants('batch')) {
      log('starting DynamoDB Local');
      local = await startDynamoDBLocal();
    }
    if (wants('requests') && local) {
      log('counting requests');
      const endpoint = local.endpoint;
      results.requests = await perLibrary<RequestFigures>((library) => measureRequests(library, endpoint));
    }
    // The rounds of the sections on DynamoDB Local take turns, so a slow spell of the shared
    // machine lands in one round of each rather than in every round of one.
    const [cost, latency, batches] = [[] as Record<Library, CostFigures>[], [] as LatencyResult[], [] as Record<Library, BatchFigures>[]];
    for (let round = 1; local && round <= ROUNDS; round++) {
      if (wants('cost')) {
        log(`cost, round ${round}/${ROUNDS}: capacity units per call, three results, first execution and replay`);
        cost.push(await measureCosts(local.endpoint));
      }
      if (wants('latency')) {
        log(`latency on DynamoDB Local, round ${round}/${ROUNDS}: ${SIZES.latencyCalls} calls per library and scenario`);
        latency.push(await measureLatency(local.endpoint, SIZES.latencyCalls, SIZES.latencyWarmup));
      }
      if (wants('batch')) {
        log(`batches, round ${round}/${ROUNDS}: ${SIZES.batchRuns} runs of one new record, ten new and ten replayed, per library`);
        batches.push(await measureBatches(local.endpoint, SIZES.batchRuns, SIZES.batchWarmup));
      }
    }
    if (cost.length > 0) results.cost = { rounds: cost };
    if (latency.length > 0) results.latency = { rounds: latency, calls: SIZES.latencyCalls };
    if (wants('storm') && local) {
      log(`storm: 50 concurrent calls on each of ${SIZES.stormKeys} new keys`);
      const endpoint = local.endpoint;
      results.storms = await perLibrary<StormFigures>((library) =>
        measureStorm(library, endpoint, { keys: SIZES.stormKeys, concurrency: 50, workMs: 50 }),
      );
    }
    if (batches.length > 0) results.batches = { rounds: batches, runs: SIZES.batchRuns };
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
