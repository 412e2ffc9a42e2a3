/**
 * `npm run check:package`: packs the package as `npm publish` would and checks the tarball:
 * only the allowlisted files, then publint (strict: warnings fail) and Are the Types Wrong.
 *
 * Ignored rule, with its reason (README repeats it):
 * - attw `cjs-resolves-to-esm`: retry-safe ships ES modules only, on purpose. CommonJS callers
 *   load it with `require()`, which Node supports for ES modules from 20.19 on (our
 *   `engines.node`), and TypeScript accepts from 5.8 on under `module: node18`/`nodenext`;
 *   attw's node16 check predates that. One build keeps one module instance, where a second
 *   CommonJS build would split the state `step()` relies on and break `instanceof` on errors.
 *   The consumer projects (`npm run test:consumers`) run `require('retry-safe')` on Node 20, 22 and 24.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** What the tarball may hold besides package.json: the `files` allowlist. */
const ALLOWED = [/^package\/dist\/.+\.(js|d\.ts)$/, /^package\/(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/];
/** What the tarball must never hold, even under dist/: the example app, source maps without their sources. */
const FORBIDDEN = [/\/example/, /\.map$/];
const ATTW_IGNORED_RULES = ['cjs-resolves-to-esm'];

function run(command: string, args: readonly string[], cwd = ROOT): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}\n${output}`);
  return output;
}

const work = mkdtempSync(join(tmpdir(), 'retry-safe-pack-'));
try {
  run('npm', ['pack', '--pack-destination', work, '--loglevel=error']);
  const tarball = join(work, readdirSync(work).find((name) => name.endsWith('.tgz'))!);
  const files = run('tar', ['-tzf', tarball]).split('\n');
  const stray = files.filter((file) => !ALLOWED.some((rule) => rule.test(file)) || FORBIDDEN.some((rule) => rule.test(file)));
  if (stray.length > 0) throw new Error(`the tarball holds files outside the allowlist:\n  ${stray.join('\n  ')}`);
  for (const required of ['package/LICENSE', 'package/README.md', 'package/CHANGELOG.md']) {
    if (!files.includes(required)) throw new Error(`the tarball lacks ${required}`);
  }
  console.log(`tarball: ${files.length} files, ${(statSync(tarball).size / 1024).toFixed(1)} kB packed`);

  console.log(run(join(ROOT, 'node_modules', '.bin', 'publint'), ['run', tarball, '--strict']));
  console.log(run(join(ROOT, 'node_modules', '.bin', 'attw'), [tarball, '--ignore-rules', ...ATTW_IGNORED_RULES, '--format', 'table']));
} finally {
  rmSync(work, { recursive: true, force: true });
}
