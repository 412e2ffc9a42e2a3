import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Repository modules esbuild keeps when bundling `entry` as a Lambda handler (minified, SDK external). */
async function modulesKept(entry: string): Promise<string[]> {
  const result = await build({
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
  const [output] = Object.values(result.metafile.outputs);
  return Object.keys(output.inputs)
    .map((input) => relative(ROOT, resolve(ROOT, input)))
    .filter((input) => input.startsWith('lambda/'));
}

describe('a handler that uses only the idempotency() middleware', () => {
  it('bundles none of the HTTP adapter and only the step module the middleware itself imports', async () => {
    const kept = await modulesKept('bench/entries/retry-safe.ts');
    expect(kept).toContain('lambda/middleware.ts');
    expect(kept).toContain('lambda/core/engine.ts');
    expect(kept.filter((module) => module.startsWith('lambda/http/'))).toEqual([]);
    // The middleware puts the execution on the context for step(); nothing else of the steps code.
    expect(kept.filter((module) => module.startsWith('lambda/steps/'))).toEqual(['lambda/steps/scope.ts']);
  });
});
