/**
 * `npm run build` (run by `npm pack` and `npm publish` through `prepack`): compiles every public
 * entry into `dist/` as ES modules with declaration files.
 *
 * The list of entries is package.json `exports`: each one maps a subpath to
 * `./dist/<source>.js`, and `<source>.ts` is the file compiled. To add an entry (say
 * `retry-safe/testing` from `lambda/testing/index.ts`):
 *   1. add `"./testing": { "types": "./dist/lambda/testing/index.d.ts", "default": "./dist/lambda/testing/index.js" }`
 *      to `exports`;
 *   2. add `"testing": ["./dist/lambda/testing/index.d.ts"]` to `typesVersions["*"]`, for
 *      TypeScript's `moduleResolution: node10` (classic CDK apps);
 *   3. if it brings a dependency, make that an (optional) peer, and cover the entry in a
 *      consumer project under test/consumers/.
 * This script refuses to build when an entry's source is missing or `typesVersions` is out of step.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = 'dist';

/** One public entry: its subpath (`.`, `./cdk`), its compiled file and declarations, and its source. */
export interface PackageEntry {
  readonly subpath: string;
  readonly js: string;
  readonly types: string;
  readonly source: string;
}

interface PackageJson {
  readonly exports: Record<string, string | { readonly types?: string; readonly default?: string }>;
  readonly types?: string;
  readonly typesVersions?: Record<string, Record<string, readonly string[]>>;
}

/** The public entries package.json declares, each checked against its source and `typesVersions`. */
export function packageEntries(root = ROOT): PackageEntry[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
  const problems: string[] = [];
  const entries: PackageEntry[] = [];
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // e.g. ./package.json
    const { types, default: js = '' } = target;
    const match = /^\.\/dist\/(.+)\.js$/.exec(js);
    if (!match || types !== `./dist/${match[1]}.d.ts`) {
      problems.push(`exports["${subpath}"] must be { "types": "./dist/<source>.d.ts", "default": "./dist/<source>.js" }`);
      continue;
    }
    const source = `${match[1]}.ts`;
    if (!existsSync(join(root, source))) problems.push(`exports["${subpath}"] points at ${js}, but its source ${source} does not exist`);
    const node10 = subpath === '.' ? pkg.types : pkg.typesVersions?.['*']?.[subpath.slice(2)]?.[0];
    if (node10 !== types) {
      problems.push(
        subpath === '.'
          ? `package.json "types" must be "${types}" (TypeScript's node10 resolution reads it)`
          : `typesVersions["*"]["${subpath.slice(2)}"] must be ["${types}"] (TypeScript's node10 resolution reads it)`,
      );
    }
    entries.push({ subpath, js, types, source });
  }
  if (problems.length > 0) throw new Error(`package.json entries are inconsistent:\n  ${problems.join('\n  ')}`);
  return entries;
}

/**
 * The sources of package.json `bin` commands (each `./dist/<source>.js`, from `<source>.ts`),
 * compiled with the entries: the `retry-safe` CLI.
 */
export function binSources(root = ROOT): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { readonly bin?: Record<string, string> };
  return Object.entries(pkg.bin ?? {}).map(([command, js]) => {
    const match = /^\.\/dist\/(.+)\.js$/.exec(js);
    const source = match ? `${match[1]}.ts` : '';
    if (!match || !existsSync(join(root, source))) {
      throw new Error(`bin["${command}"] must be "./dist/<source>.js" with <source>.ts present, got ${JSON.stringify(js)}`);
    }
    return source;
  });
}

/** Compiles the entries into `dist/` (emptied first); throws with TypeScript's diagnostics on any error. */
export function build(root = ROOT): PackageEntry[] {
  const entries = packageEntries(root);
  const configPath = join(root, 'tsconfig.build.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`could not read ${configPath}`);
  rmSync(join(root, OUT_DIR), { recursive: true, force: true });
  const program = ts.createProgram({
    rootNames: [...entries.map((entry) => entry.source), ...binSources(root)].map((source) => join(root, source)),
    options: parsed.options,
  });
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diagnostics.length > 0) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => root,
      getNewLine: () => '\n',
    };
    throw new Error(`build failed:\n${ts.formatDiagnosticsWithColorAndContext(diagnostics, host)}`);
  }
  return entries;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const entries = build();
  for (const entry of entries) console.log(`retry-safe${entry.subpath.slice(1)} -> ${entry.js}`);
}
