import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Bundles `entry` as a Lambda handler is bundled: minified ESM, the SDK external. */
async function bundle(entry: string) {
  return build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    minify: true,
    write: false,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'silent',
  });
}

/** Repository modules esbuild keeps when bundling `entry` as a Lambda handler (minified, SDK external). */
async function modulesKept(entry: string): Promise<string[]> {
  const result = await bundle(entry);
  const [output] = Object.values(result.metafile.outputs);
  return Object.keys(output.inputs)
    .map((input) => relative(ROOT, resolve(ROOT, input)))
    .filter((input) => input.startsWith('lambda/'));
}

describe('a handler that uses only the idempotency() middleware', () => {
  it('bundles none of the HTTP adapter, the steps or the record cache', async () => {
    const kept = await modulesKept('bench/entries/retry-safe.ts');
    expect(kept).toContain('lambda/middleware.ts');
    expect(kept).toContain('lambda/core/engine.ts');
    expect(kept.filter((module) => module.startsWith('lambda/http/'))).toEqual([]);
    expect(kept.filter((module) => module.startsWith('lambda/steps/'))).toEqual([]);
    expect(kept.filter((module) => module.startsWith('lambda/webhooks/'))).toEqual([]);
    expect(kept).not.toContain('lambda/core/cache.ts');
    expect(kept.filter((module) => module.startsWith('lambda/ops/'))).toEqual([]);
    expect(kept.filter((module) => module.startsWith('lambda/batch/'))).toEqual([]);
    expect(kept.filter((module) => module.startsWith('lambda/event-keys/'))).toEqual([]);
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
    const kept = await modulesKept(relative(ROOT, entry));
    await rm(dir, { recursive: true, force: true });

    expect(kept).toContain('lambda/batch/make-idempotent-batch.ts');
    expect(kept).toContain('lambda/core/engine.ts');
    expect(kept.filter((module) => module.startsWith('lambda/http/'))).toEqual([]);
    expect(kept).not.toContain('lambda/middleware.ts');
  });
});

describe('a Lambda bundle of a handler that uses only the middleware', () => {
  it('contains no CDK code: neither aws-cdk-lib, constructs nor the retry-safe/cdk constructs', async () => {
    const result = await bundle('bench/entries/retry-safe.ts');
    const inputs = Object.keys(result.metafile.inputs).map((input) => relative(ROOT, resolve(ROOT, input)));

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
    const result = await bundle(relative(ROOT, entry));
    await rm(dir, { recursive: true, force: true });
    const kept = Object.keys(Object.values(result.metafile.outputs)[0].inputs).map((input) => relative(ROOT, resolve(ROOT, input)));

    expect(kept).toContain('lambda/webhooks/github-webhooks.ts');
    expect(kept).not.toContain('lambda/webhooks/standard-webhooks.ts');
    expect(kept).not.toContain('lambda/webhooks/stripe-webhooks.ts');
    expect(kept).not.toContain('lambda/middleware.ts');
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
