import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { bundledInputs, bundleInMemory, ROOT } from './lambda-bundle.js';
import { summarize, type Summary } from './stats.js';

const run = promisify(execFile);
const OUT_DIR = join(ROOT, 'bench', '.out');

/** The handlers bundled and loaded: one Middy handler per library, and a reference without idempotency. */
export const BUNDLES = ['retry-safe', 'powertools', 'reference'] as const;
/** The handlers only sized: each library's plain function wrapper, without Middy. */
export const PLAIN_BUNDLES = ['retry-safe-plain', 'powertools-plain'] as const;
/**
 * The middleware-only handler (`retry-safe`) with one optional feature used, each entry
 * `bench/entries/feature-<name>.ts`: what each feature adds is its size less that handler's.
 */
export const FEATURE_BUNDLES = ['http', 'steps', 'batch', 'webhooks', 'metrics', 'cache'] as const;
/** One of {@link FEATURE_BUNDLES}. */
export type Feature = (typeof FEATURE_BUNDLES)[number];
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

/** Sizes of every bundle: deterministic, so measured once. */
export interface BundleSizes {
  readonly sizes: Record<BundleName, BundleSize>;
  /** The middleware-only handler with each optional feature used. */
  readonly features: Record<Feature, BundleSize>;
}

/** Load times of the loaded bundles over one round of fresh processes. */
export interface LoadFigures {
  /** Milliseconds to import the bundle in a fresh `node`, over several processes. */
  readonly loadMs: Record<LoadedBundle, Summary>;
  /** CPU milliseconds (user + system) the same imports took: less disturbed by other processes. */
  readonly loadCpuMs: Record<LoadedBundle, Summary>;
}

/** Bundles one handler (`bench/entries/<entry>.ts`) as Lambda's Node 20 runtime would run it, and writes it to `bench/.out`. */
export async function bundle(entry: string): Promise<BundleSize> {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = join(OUT_DIR, `${entry}.mjs`);
  const { code, metafile } = await bundleInMemory(join('bench', 'entries', `${entry}.ts`));
  writeFileSync(file, code);
  const inputs = bundledInputs(metafile);
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

/** Bundles every handler: the libraries', the reference and each feature's. */
export async function measureBundleSizes(): Promise<BundleSizes> {
  const sizes = {} as Record<BundleName, BundleSize>;
  for (const name of [...BUNDLES, ...PLAIN_BUNDLES]) sizes[name] = await bundle(name);
  const features = {} as Record<Feature, BundleSize>;
  for (const feature of FEATURE_BUNDLES) features[feature] = await bundle(`feature-${feature}`);
  return { sizes, features };
}

/** Loads each of {@link BUNDLES} `runs` times in fresh processes, rotating so drift hits all alike. */
export async function measureLoad(sizes: Record<BundleName, BundleSize>, runs: number): Promise<LoadFigures> {
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
