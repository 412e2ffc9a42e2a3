import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';

/** The repository's root, to which every module path below is relative. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * How a Lambda handler is bundled for Node 20: minified ESM, the AWS SDK external (the Lambda
 * Node.js runtime ships SDK v3, so functions do not bundle it). The bench and the tree-shaking
 * test both bundle this way, so the test checks what the bench measures.
 */
export const LAMBDA_BUILD_OPTIONS = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['@aws-sdk/*'],
  metafile: true,
  logLevel: 'silent',
} as const satisfies BuildOptions;

/** Bundles `entry` (a path from the repository root, or absolute) as a Lambda handler, in memory. */
export async function bundleInMemory(entry: string): Promise<{ code: Uint8Array; metafile: Metafile }> {
  const result = await build({ ...LAMBDA_BUILD_OPTIONS, absWorkingDir: ROOT, entryPoints: [resolve(ROOT, entry)], write: false });
  return { code: result.outputFiles[0].contents, metafile: result.metafile };
}

/** Every input of the bundle's one output, as a path from the repository root, with its minified bytes. */
export function bundledInputs(metafile: Metafile): Array<readonly [input: string, bytes: number]> {
  const [output] = Object.values(metafile.outputs);
  return Object.entries(output.inputs).map(([input, { bytesInOutput }]) => [relative(ROOT, resolve(ROOT, input)), bytesInOutput] as const);
}

/** The repository's runtime modules (`lambda/**`) kept in a bundle, tree-shaking applied. */
export function runtimeModulesKept(metafile: Metafile): string[] {
  return bundledInputs(metafile)
    .map(([input]) => input)
    .filter((input) => input.startsWith('lambda/'));
}
