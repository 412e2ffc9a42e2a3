import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { LAMBDA_BUILD_OPTIONS, ROOT } from '../../../bench/lambda-bundle.js';

/** The inputs esbuild keeps when bundling `entry` whole (every export used), minified, the SDK external. */
async function inputsOf(entry: string): Promise<{ inputs: string[]; bytes: number }> {
  const result = await build({
    ...LAMBDA_BUILD_OPTIONS,
    stdin: { contents: `export * from ${JSON.stringify(join(ROOT, entry))};`, resolveDir: ROOT, loader: 'ts' },
    write: false,
  });
  const [output] = Object.values(result.metafile.outputs);
  return { inputs: Object.keys(output.inputs).map((input) => relative(ROOT, resolve(ROOT, input))), bytes: output.bytes };
}

describe('the retry-safe/valkey entry', () => {
  it('is never reached from the runtime entry: DynamoDB users bundle no Valkey store and no Redis client', async () => {
    const { inputs } = await inputsOf('lambda/index.ts');
    expect(inputs.filter((input) => input.startsWith('lambda/valkey/'))).toEqual([]);
    expect(inputs.filter((input) => input.includes('node_modules/iovalkey'))).toEqual([]);
  });

  it('brings the store and iovalkey, and no DynamoDB code', async () => {
    const { inputs } = await inputsOf('lambda/valkey/index.ts');
    expect(inputs).toContain('lambda/valkey/valkey-store.ts');
    expect(inputs.some((input) => input.includes('node_modules/iovalkey/'))).toBe(true);
    expect(inputs.filter((input) => input.includes('dynamodb'))).toEqual([]);
  });
});
