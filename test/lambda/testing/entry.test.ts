/**
 * retry-safe/testing is its own entry: handlers never bundle it, and it brings no test runner.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Every input esbuild reads when bundling `entry` as a Lambda handler is bundled (the SDK external). */
async function inputsOf(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs).map((input) => relative(ROOT, resolve(ROOT, input)));
}

describe('the retry-safe/testing entry', () => {
  it('is published as its own subpath', async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(manifest.exports['./testing']).toEqual({
      types: './dist/lambda/testing/index.d.ts',
      default: './dist/lambda/testing/index.js',
    });
  });

  it('is never bundled with the runtime entry', async () => {
    const inputs = await inputsOf('lambda/index.ts');
    expect(inputs).toContain('lambda/core/engine.ts');
    expect(inputs.filter((input) => input.startsWith('lambda/testing/'))).toEqual([]);
  });

  it('brings no test runner: it works under vitest and jest alike', async () => {
    const inputs = await inputsOf('lambda/testing/index.ts');
    expect(inputs).toContain('lambda/testing/simulate-retries.ts');
    expect(inputs.filter((input) => /node_modules\/(vitest|@vitest|jest|@jest|expect)\//.test(input))).toEqual([]);
  });
});
