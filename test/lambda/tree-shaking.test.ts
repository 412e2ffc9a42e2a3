import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleInMemory, ROOT, runtimeModulesKept } from '../../bench/lambda-bundle.js';

/** Bundles `entry` as the benchmark bundles a Lambda handler: minified ESM, the SDK external. */
const bundle = bundleInMemory;

const bundled = new Map<string, Promise<string[]>>();

/** Repository modules esbuild keeps when bundling `entry` as a Lambda handler (each entry bundled once per run). */
function modulesKept(entry: string): Promise<string[]> {
  if (!bundled.has(entry)) bundled.set(entry, bundle(entry).then(({ metafile }) => runtimeModulesKept(metafile)));
  return bundled.get(entry)!;
}

/**
 * Each optional feature, the modules that make it up, and the benchmark entry that uses it
 * (`bench/entries/feature-<name>.ts`; the subpath entries have none).
 */
const OPTIONAL_FEATURES = [
  { feature: 'http', modules: (m: string) => m.startsWith('lambda/http/'), entry: 'feature-http' },
  { feature: 'steps', modules: (m: string) => m.startsWith('lambda/steps/'), entry: 'feature-steps' },
  { feature: 'batch', modules: (m: string) => m.startsWith('lambda/batch/'), entry: 'feature-batch' },
  { feature: 'webhooks', modules: (m: string) => m.startsWith('lambda/webhooks/'), entry: 'feature-webhooks' },
  { feature: 'ops (metrics)', modules: (m: string) => m.startsWith('lambda/ops/'), entry: 'feature-metrics' },
  { feature: 'cache', modules: (m: string) => m === 'lambda/core/cache.ts', entry: 'feature-cache' },
  { feature: 'event-keys', modules: (m: string) => m.startsWith('lambda/event-keys/'), entry: undefined },
  { feature: 'valkey', modules: (m: string) => m.startsWith('lambda/valkey/'), entry: undefined },
  { feature: 'testing', modules: (m: string) => m.startsWith('lambda/testing/'), entry: undefined },
] as const;

describe('a handler that uses only the idempotency() middleware', () => {
  it('bundles the middleware and the engine', async () => {
    const kept = await modulesKept('bench/entries/retry-safe.ts');

    expect(kept).toContain('lambda/middleware.ts');
    expect(kept).toContain('lambda/core/engine.ts');
  });

  it.each(OPTIONAL_FEATURES)('bundles no module of $feature', async ({ modules }) => {
    const kept = await modulesKept('bench/entries/retry-safe.ts');

    expect(kept.filter(modules)).toEqual([]);
  });
});

describe('the same handler with one optional feature used', () => {
  // The other side of the check above: the feature's modules do reach a bundle that uses it, so
  // an empty list there means tree-shaking removed them, not that the filter matches nothing.
  it.each(OPTIONAL_FEATURES.filter((f) => f.entry !== undefined))('bundles modules of $feature', async ({ modules, entry }) => {
    const kept = await modulesKept(`bench/entries/${entry}.ts`);

    expect(kept.filter(modules)).not.toEqual([]);
  });
});

describe('a handler that uses only makeIdempotentBatch()', () => {
  it('bundles the batch adapter, the engine and the steps scope, and none of the HTTP adapter or the middleware', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'retry-safe-batch-'));
    const entry = join(dir, 'entry.ts');
    await writeFile(
      entry,
      `import { DynamoDBStore, makeIdempotentBatch } from ${JSON.stringify(join(ROOT, 'lambda/index.ts'))};\n` +
        "export const handler = makeIdempotentBatch(async () => undefined, { store: new DynamoDBStore({ tableName: 't' }) });\n",
    );
    const kept = await modulesKept(entry);
    await rm(dir, { recursive: true, force: true });

    expect(kept).toContain('lambda/batch/make-idempotent-batch.ts');
    expect(kept).toContain('lambda/core/engine.ts');
    expect(kept.filter((module) => module.startsWith('lambda/http/'))).toEqual([]);
    expect(kept).not.toContain('lambda/middleware.ts');
    expect(kept).not.toContain('lambda/middy-request.ts');
  });
});

describe('a Lambda bundle of a handler that uses only the middleware', () => {
  it('contains no CDK code: neither aws-cdk-lib, constructs nor the retry-safe/cdk constructs', async () => {
    const { metafile } = await bundle('bench/entries/retry-safe.ts');
    const inputs = Object.keys(metafile.inputs).map((input) => relative(ROOT, resolve(ROOT, input)));

    expect(inputs).toContain('lambda/middleware.ts');
    expect(inputs.filter((input) => /node_modules\/(aws-cdk-lib|constructs)\//.test(input))).toEqual([]);
    expect(inputs.filter((input) => input.startsWith('lib/'))).toEqual([]);
  });
});

describe('a webhook receiver', () => {
  it('bundles the one preset it uses, and none of the Middy middlewares', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'retry-safe-webhook-'));
    const entry = join(dir, 'receiver.ts');
    await writeFile(
      entry,
      `import { DynamoDBStore, githubWebhooks, webhookIdempotency } from ${JSON.stringify(join(ROOT, 'lambda/index.ts'))};\n` +
        "export const handler = webhookIdempotency(async () => ({ statusCode: 204 }), { store: new DynamoDBStore(), name: 'hooks', verify: githubWebhooks({ secret: 's' }) });\n",
    );
    const { metafile } = await bundle(entry);
    await rm(dir, { recursive: true, force: true });
    const kept = Object.keys(Object.values(metafile.outputs)[0].inputs).map((input) => relative(ROOT, resolve(ROOT, input)));

    expect(kept).toContain('lambda/webhooks/github-webhooks.ts');
    expect(kept).not.toContain('lambda/webhooks/standard-webhooks.ts');
    expect(kept).not.toContain('lambda/webhooks/stripe-webhooks.ts');
    expect(kept).not.toContain('lambda/middleware.ts');
    expect(kept).not.toContain('lambda/middy-request.ts');
    expect(kept).not.toContain('lambda/http/http-idempotency.ts');
    expect(kept.some((input) => input.includes('@middy'))).toBe(false);
  });
});

describe('errors in a minified bundle', () => {
  it('keep their class names, which minification would otherwise rename', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'retry-safe-names-'));
    const entry = join(dir, 'entry.mjs');
    await writeFile(
      entry,
      `import * as lib from ${JSON.stringify(join(ROOT, 'lambda/index.ts'))};\n` +
        "export const names = Object.entries(lib).filter(([n]) => n.endsWith('Error')).map(([n, E]) => [n, new E('x', 'y', 'z').name]);\n",
    );
    const output = join(dir, 'bundle.mjs');
    await build({ entryPoints: [entry], bundle: true, minify: true, platform: 'node', format: 'esm', outfile: output, logLevel: 'silent' });
    const { names } = (await import(output)) as { names: Array<[string, string]> };
    await rm(dir, { recursive: true, force: true });

    expect(names.length).toBeGreaterThanOrEqual(9);
    for (const [exported, name] of names) expect(name).toBe(exported);
  });
});
