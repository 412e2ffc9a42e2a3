/**
 * `npm run test:consumers`: installs the packed package into fresh projects, as users do, and
 * runs them. Each project under test/consumers/ is a way users meet retry-safe (a CDK app as
 * `cdk init` makes it today and as it made it before 2025, an ESM handler compiled by tsc, a
 * bundled handler, plain JavaScript); each type-checks against the published declarations,
 * and the runtime ones call a handler twice against DynamoDB Local and check that the second
 * call replayed the first, on every Node version Lambda runs (the binaries come from the npm
 * registry's `node-<os>-<arch>` packages).
 *
 * Usage: tsx scripts/test-consumers.ts [--only cdk-app,plain-js] [--node 20,22,24] [--keep]
 * Installs prefer the npm cache (`--prefer-offline`); nothing is fetched from outside the registry.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createIdempotencyTable, localClient, startDynamoDBLocal } from './dynamodb-local.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'test', 'consumers');
const NODE_CACHE = join(ROOT, '.cache', 'node');
const TABLE_NAME = 'consumers';
/** Node versions the runtime fixtures run on: this machine's and the ones Lambda runs. */
const LAMBDA_NODE_MAJORS = ['22', '24'];
/** No command may hang CI: the slowest (an install on a cold cache) takes about a minute. */
const STEP_TIMEOUT_MS = 10 * 60_000;

/** How a step is run: `node` steps run once per Node version under test. */
interface Step {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly perNode?: boolean;
  /** For `tsc` steps: errors in this library's own declarations do not fail the step. */
  readonly tolerated?: typeof CDK_LIB_ERRORS;
}

/** A consumer project: how to set it up in a fresh folder, then its steps in order. */
interface Consumer {
  readonly name: string;
  readonly summary: string;
  readonly setup: (dir: string, tarball: string) => void;
  readonly steps: (dir: string) => Step[];
}

const NPM_INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

/** `node_modules/.bin/<bin>` in a project, run with the Node that runs this script. */
const bin = (name: string, ...args: string[]): Pick<Step, 'command' | 'args'> => ({ command: join('node_modules', '.bin', name), args });

/**
 * Errors in another library's own declarations that a type-check tolerates, with the reason.
 * aws-cdk-lib's declarations do not compile under `exactOptionalPropertyTypes` with
 * `skipLibCheck: false` (its classes implement interfaces with optional members as
 * `T | undefined`); that is aws-cdk-lib's to fix, and every other error still fails the step.
 */
const CDK_LIB_ERRORS = { prefix: 'node_modules/aws-cdk-lib/', reason: "aws-cdk-lib's own declarations fail exactOptionalPropertyTypes" };

/**
 * Type-checks with every TypeScript a fixture installs (`typescript` and its `typescript-<version>`
 * aliases); errors inside `tolerated.prefix` are counted, every other error fails.
 */
function typeChecks(dir: string, project = 'tsconfig.json', tolerated?: typeof CDK_LIB_ERRORS): Step[] {
  const compilers = readdirSync(join(dir, 'node_modules')).filter((name) => name === 'typescript' || name.startsWith('typescript-'));
  return compilers.map((compiler) => {
    const { version } = JSON.parse(readFileSync(join(dir, 'node_modules', compiler, 'package.json'), 'utf8')) as { version: string };
    const args = [join('node_modules', compiler, 'bin', 'tsc'), '--noEmit', '-p', project];
    return { name: `tsc ${version} --noEmit -p ${project}`, command: 'tsc', args, ...(tolerated ? { tolerated } : {}) };
  });
}

/** Runs `tsc`; passes when every error it reports (if any) lies in the tolerated library. */
function typeCheck(dir: string, args: readonly string[], tolerated: typeof CDK_LIB_ERRORS | undefined): string {
  const result = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: STEP_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  if (result.status === 0) return '';
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const errors = output.split('\n').filter((line) => / error TS\d+:/.test(line));
  const ours = errors.filter((line) => !tolerated || !line.startsWith(tolerated.prefix));
  if (errors.length === 0 || ours.length > 0) throw new Error(`tsc exited with ${result.status ?? result.signal}\n${output.trim()}`);
  return `${errors.length} errors inside ${tolerated!.prefix} tolerated (${tolerated!.reason}); none elsewhere`;
}

/** Copies a fixture's sources and the shared invoker into `dir`. */
function copyFixture(name: string, dir: string): void {
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  cpSync(join(FIXTURES, 'shared', 'invoke.mjs'), join(dir, 'invoke.mjs'));
}

/** Fails if a package that only some users need got installed: its types must not be required. */
function assertAbsent(dir: string, packages: readonly string[]): void {
  const present = packages.filter((name) => existsSync(join(dir, 'node_modules', name)));
  if (present.length > 0) throw new Error(`expected ${present.join(', ')} not to be installed in ${dir}`);
}

/** The bundle `cdk synth` staged for the stack's only function, copied where it resolves the fixture's node_modules. */
function stageSynthesizedBundle(dir: string, stack: string): string {
  const template = JSON.parse(readFileSync(join(dir, 'cdk.out', `${stack}.template.json`), 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path']);
  if (functions.length !== 1) throw new Error(`expected one bundled function in ${stack}, found ${functions.length}`);
  const asset = join(dir, 'cdk.out', functions[0]!.Metadata!['aws:asset:path']!);
  mkdirSync(join(dir, 'deployed'), { recursive: true });
  cpSync(join(asset, 'index.mjs'), join(dir, 'deployed', 'index.mjs'));
  return join('deployed', 'index.mjs');
}

const CONSUMERS: Consumer[] = [
  {
    name: 'cdk-app',
    summary: '`cdk init app --language typescript` (CommonJS, NodeNext, TypeScript 7): synth, then run the synthesized bundle',
    setup(dir, tarball) {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'cdk'), ['init', 'app', '--language', 'typescript', '--generate-only'], {
        cwd: dir,
        stdio: 'pipe',
        env: cdkEnv(),
      });
      copyFixture('cdk-app', dir);
      // The strict check: the generated tsconfig plus the flags the other fixtures use.
      writeFileSync(
        join(dir, 'tsconfig.strict.json'),
        JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, skipLibCheck: false }, exclude: ['node_modules', 'cdk.out', 'test'] }),
      );
      run(dir, 'npm', [...NPM_INSTALL]);
      // esbuild lets NodejsFunction bundle without Docker; TypeScript 5.9 is the second compiler checked.
      run(dir, 'npm', [...NPM_INSTALL, '--save-dev', tarball, 'esbuild@0.28.2', 'typescript-5.9@npm:typescript@5.9.3']);
      assertAbsent(dir, ['@middy/core', '@types/aws-lambda']);
    },
    steps: (dir) => [
      ...typeChecks(dir, 'tsconfig.strict.json', CDK_LIB_ERRORS),
      { name: 'cdk synth (npx tsc && npx tsx bin/app.ts, local esbuild)', ...bin('cdk', 'synth', '--quiet', '--no-notices') },
      { name: 'stage the synthesized bundle', command: 'stage', args: ['AppStack'] },
      { name: 'invoke the synthesized bundle', command: 'node', args: ['invoke.mjs', join('deployed', 'index.mjs')], perNode: true },
    ],
  },
  {
    name: 'esm-nodenext-middy',
    summary: 'ESM handler with the Middy middleware, NodeNext, compiled by tsc and run by node',
    setup(dir, tarball) {
      copyFixture('esm-nodenext-middy', dir);
      run(dir, 'npm', [...NPM_INSTALL, tarball]);
    },
    steps: (dir) => [
      ...typeChecks(dir),
      { name: 'tsc (emit)', ...bin('tsc', '-p', 'tsconfig.json') },
      { name: 'invoke dist/handler.js', command: 'node', args: ['invoke.mjs', join('dist', 'handler.js')], perNode: true },
    ],
  },
  {
    name: 'bundler',
    summary: 'handler type-checked with moduleResolution bundler, bundled by esbuild, the bundle run by node',
    setup(dir, tarball) {
      copyFixture('bundler', dir);
      run(dir, 'npm', [...NPM_INSTALL, tarball]);
      assertAbsent(dir, ['@middy/core', '@types/aws-lambda']);
    },
    steps: (dir) => [
      ...typeChecks(dir),
      { name: 'esbuild bundle (no CDK code)', command: process.execPath, args: ['build.mjs'] },
      { name: 'invoke out/handler.mjs', command: 'node', args: ['invoke.mjs', join('out', 'handler.mjs')], perNode: true },
    ],
  },
  {
    name: 'plain-js',
    summary: "plain JavaScript: require('retry-safe') and import('retry-safe')",
    setup(dir, tarball) {
      copyFixture('plain-js', dir);
      run(dir, 'npm', [...NPM_INSTALL, tarball]);
    },
    steps: () => [
      { name: "invoke handler.cjs (require('retry-safe'))", command: 'node', args: ['invoke.mjs', 'handler.cjs'], perNode: true },
      { name: "invoke handler.mjs (import('retry-safe'))", command: 'node', args: ['invoke.mjs', 'handler.mjs'], perNode: true },
      { name: 'require() and import() share one instance', command: 'node', args: ['one-instance.cjs'], perNode: true },
      { name: 'the retry-safe command runs (npx retry-safe --help)', ...bin('retry-safe', '--help') },
    ],
  },
  {
    name: 'cdk-app-classic',
    summary: 'CDK app as `cdk init` made it before 2025 (module commonjs, so node10 resolution; ts-node; TypeScript 5.4): synth',
    setup(dir, tarball) {
      copyFixture('cdk-app-classic', dir);
      run(dir, 'npm', [...NPM_INSTALL, tarball]);
      assertAbsent(dir, ['@middy/core', '@types/aws-lambda']);
    },
    steps: (dir) => [
      // The strict config extends the app's own, which ts-node also checks during synth.
      ...typeChecks(dir, 'tsconfig.strict.json', CDK_LIB_ERRORS),
      { name: 'cdk synth (ts-node, local esbuild)', ...bin('cdk', 'synth', '--quiet', '--no-notices') },
    ],
  },
];

/** The CDK CLI without its calls home (notices, telemetry, version check): CI has no internet. */
function cdkEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DISABLE_VERSION_CHECK: 'true', CI: 'true' };
}

/** Runs a command in `cwd`; throws with its output when it fails. */
function run(cwd: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = cdkEnv()): string {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: STEP_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}\n${output}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}\n${output}`);
  return output;
}

/**
 * A Node binary for `major`: this process's own when it is that version, else the registry's
 * `node-<platform>-<arch>` package (the binary the `node` package installs), cached in `.cache/node/`.
 */
function nodeBinary(major: string): string {
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  const name = `node-${process.platform}-${process.arch}`;
  const prefix = join(NODE_CACHE, major);
  const binary = join(prefix, 'node_modules', name, 'bin', 'node');
  if (!existsSync(binary)) {
    mkdirSync(prefix, { recursive: true });
    writeFileSync(join(prefix, 'package.json'), '{"private":true}\n');
    run(prefix, 'npm', [...NPM_INSTALL, '--no-save', `${name}@${major}`], process.env);
  }
  return binary;
}

/** Packs the repository as `npm publish` would (prepack builds dist/) into `dir`; returns the tarball's path. */
function pack(dir: string): string {
  run(ROOT, 'npm', ['pack', '--pack-destination', dir, '--loglevel=error'], process.env);
  const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack left no tarball in ${dir}`);
  return join(dir, tarball);
}

interface Outcome {
  readonly consumer: string;
  readonly step: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly detail: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, node: { type: 'string' }, keep: { type: 'boolean', default: false } },
  });
  const only = values.only?.split(',');
  const consumers = CONSUMERS.filter((c) => !only || only.includes(c.name));
  if (consumers.length === 0) throw new Error(`--only ${values.only}: no such consumer (have ${CONSUMERS.map((c) => c.name).join(', ')})`);
  const majors = values.node?.split(',') ?? [process.versions.node.split('.')[0]!, ...LAMBDA_NODE_MAJORS];

  // This script runs on Node 20 on purpose; the SDK's reminder about newer Node versions is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'retry-safe-consumers-'));
  const outcomes: Outcome[] = [];
  const timed = (consumer: string, step: string, action: () => string): boolean => {
    const t0 = Date.now();
    try {
      const detail = action();
      outcomes.push({ consumer, step, ok: true, ms: Date.now() - t0, detail });
      console.log(`  ok   ${step} (${((Date.now() - t0) / 1000).toFixed(1)} s)${detail ? `\n       ${detail.split('\n').at(-1)}` : ''}`);
      return true;
    } catch (error) {
      outcomes.push({ consumer, step, ok: false, ms: Date.now() - t0, detail: (error as Error).message });
      console.log(`  FAIL ${step}\n${(error as Error).message.replace(/^/gm, '       ')}`);
      return false;
    }
  };

  console.log(`packing retry-safe into ${work}`);
  const tarball = pack(work);
  const nodes = new Map(majors.map((major) => [major, nodeBinary(major)]));
  for (const [major, binary] of nodes) console.log(`node ${major}: ${run(work, binary, ['--version'], process.env)} (${binary})`);

  const db = await startDynamoDBLocal();
  try {
    await createIdempotencyTable(localClient(db.endpoint), TABLE_NAME);
    const runtimeEnv = {
      ...process.env,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      IDEMPOTENCY_TABLE_NAME: TABLE_NAME,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    for (const consumer of consumers) {
      console.log(`\n${consumer.name}: ${consumer.summary}`);
      const dir = join(work, consumer.name === 'cdk-app' ? 'app' : consumer.name);
      mkdirSync(dir);
      if (!timed(consumer.name, 'set up and npm install', () => (consumer.setup(dir, tarball), ''))) continue;
      for (const step of consumer.steps(dir)) {
        if (step.command === 'tsc') {
          if (!timed(consumer.name, step.name, () => typeCheck(dir, step.args, step.tolerated))) break;
          continue;
        }
        if (step.command === 'stage') {
          if (!timed(consumer.name, step.name, () => stageSynthesizedBundle(dir, step.args[0]!))) break;
          continue;
        }
        const runs = step.perNode ? [...nodes] : [['', process.execPath] as const];
        let failed = false;
        for (const [major, binary] of runs) {
          const command = step.command === 'node' ? binary : step.command;
          const env = { ...runtimeEnv, CONSUMER_KEY: `${consumer.name}-node${major}-${randomUUID()}` };
          const label = major ? `${step.name} on node ${major}` : step.name;
          if (!timed(consumer.name, label, () => run(dir, command, step.args, step.perNode ? env : cdkEnv()))) failed = true;
        }
        if (failed) break;
      }
    }
  } finally {
    await db.stop();
    if (!values.keep) rmSync(work, { recursive: true, force: true });
    else console.log(`\nkept ${work}`);
  }

  const failures = outcomes.filter((o) => !o.ok);
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(`\n${outcomes.length - failures.length} passed, ${failures.length} failed in ${minutes} min`);
  for (const failure of failures) console.log(`  failed: ${failure.consumer}: ${failure.step}`);
  if (failures.length > 0) process.exitCode = 1;
}

await main();
