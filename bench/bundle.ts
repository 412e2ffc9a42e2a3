import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { summarize, type Summary } from './stats.js';

const run = promisify(execFile);
const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, '..');
const OUT_DIR = join(BENCH_DIR, '.out');

/** The handlers bundled and loaded: one Middy handler per library, and a reference without idempotency. */
export const BUNDLES = ['retry-safe', 'powertools', 'reference'] as const;
/** The handlers only sized: each library's plain function wrapper, without Middy. */
export const PLAIN_BUNDLES = ['retry-safe-plain', 'powertools-plain'] as const;
/** One of {@link BUNDLES} or {@link PLAIN_BUNDLES}. */
export type BundleName = (typeof BUNDLES)[number] | (typeof PLAIN_BUNDLES)[number];
type LoadedBundle = (typeof BUNDLES)[number];

/** Size of one minified handler bundle. */
export interface BundleSize {
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Source files of this repository that ended up in the bundle. */
  readonly ownInputs: readonly string[];
  /** Minified bytes each of those files contributes, largest first. */
  readonly ownBytes: ReadonlyArray<readonly [file: string, bytes: number]>;
  /** Minified bytes of `@middy/core` in the bundle (0 for a handler without Middy). */
  readonly middyBytes: number;
  readonly file: string;
}

/** Sizes and load times of every bundle. */
export interface BundleFigures {
  readonly sizes: Record<BundleName, BundleSize>;
  /** Milliseconds to import the bundle in a fresh `node`, over several processes. */
  readonly loadMs: Record<LoadedBundle, Summary>;
  /** CPU milliseconds (user + system) the same imports took: less disturbed by other processes. */
  readonly loadCpuMs: Record<LoadedBundle, Summary>;
}

/** Bundles one handler as Lambda's Node 20 runtime would run it: minified ESM, the SDK external. */
export async function bundle(name: BundleName): Promise<BundleSize> {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = join(OUT_DIR, `${name}.mjs`);
  const result = await build({
    entryPoints: [join(BENCH_DIR, 'entries', `${name}.ts`)],
    outfile: file,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // The Lambda Node.js runtime ships AWS SDK v3: functions do not bundle it.
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'error',
  });
  const output = Object.values(result.metafile.outputs)[0];
  const code = readFileSync(file);
  const inputs = Object.entries(output.inputs).map(
    ([input, { bytesInOutput }]) => [relative(ROOT, resolve(ROOT, input)), bytesInOutput] as const,
  );
  const own = inputs.filter(([input]) => !input.startsWith('node_modules') && !input.startsWith('bench'));
  const middyBytes = inputs.filter(([input]) => input.includes('node_modules/@middy/core/')).reduce((sum, [, bytes]) => sum + bytes, 0);
  return {
    bytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    ownInputs: own.map(([input]) => input),
    ownBytes: own.filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1]),
    middyBytes,
    file,
  };
}

/**
 * Wall and CPU milliseconds a fresh process takes to import the handler module. The DynamoDB
 * client package, which all three import, is loaded first and off the clock: it is most of the
 * time and most of the noise, and the same for all.
 */
async function loadOnce(file: string): Promise<{ wall: number; cpu: number }> {
  const script =
    "await import('@aws-sdk/client-dynamodb');" +
    'const t=performance.now(),c=process.cpuUsage();' +
    `await import(${JSON.stringify(pathToFileURL(file).href)});` +
    'const u=process.cpuUsage(c);process.stdout.write(JSON.stringify({wall:performance.now()-t,cpu:(u.user+u.system)/1000}));';
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return JSON.parse(stdout) as { wall: number; cpu: number };
}

/** Bundles every handler, then loads each `runs` times, rotating so drift hits all alike. */
export async function measureBundles(runs: number): Promise<BundleFigures> {
  const sizes = {} as Record<BundleName, BundleSize>;
  for (const name of [...BUNDLES, ...PLAIN_BUNDLES]) sizes[name] = await bundle(name);
  const samples: Record<LoadedBundle, number[]> = { 'retry-safe': [], powertools: [], reference: [] };
  const cpuSamples: Record<LoadedBundle, number[]> = { 'retry-safe': [], powertools: [], reference: [] };
  for (const name of BUNDLES) await loadOnce(sizes[name].file); // fill the OS file cache
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < BUNDLES.length; j++) {
      const name = BUNDLES[(i + j) % BUNDLES.length];
      const load = await loadOnce(sizes[name].file);
      samples[name].push(load.wall);
      cpuSamples[name].push(load.cpu);
    }
  }
  return {
    sizes,
    loadMs: {
      'retry-safe': summarize(samples['retry-safe']),
      powertools: summarize(samples.powertools),
      reference: summarize(samples.reference),
    },
    loadCpuMs: {
      'retry-safe': summarize(cpuSamples['retry-safe']),
      powertools: summarize(cpuSamples.powertools),
      reference: summarize(cpuSamples.reference),
    },
  };
}
