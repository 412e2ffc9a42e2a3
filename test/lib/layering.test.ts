import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LIB = fileURLToPath(new URL('../../lib/', import.meta.url));
const CLI = fileURLToPath(new URL('../../cli/', import.meta.url));
/** The dependency-free modules both sides share: the table contract and the metric names. */
const SHARED = ['../lambda/core/table-schema.js', '../lambda/ops/metric-names.js'];

function importsOf(dir: string): { file: string; specifier: string }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      [...readFileSync(dir + file, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => ({
        file,
        specifier: m[1],
      })),
    );
}

describe('layering', () => {
  it('lets the CDK side (lib/) import only the shared, dependency-free runtime modules', () => {
    const reaching = importsOf(LIB).filter((i) => i.specifier.startsWith('../lambda/') && !SHARED.includes(i.specifier));
    expect(reaching).toEqual([]);
    // and the rule really sees imports: the construct reads the metric names
    expect(importsOf(LIB).some((i) => i.specifier === '../lambda/ops/metric-names.js')).toBe(true);
  });

  it('keeps the CLI off CDK: it reads the table with the runtime\'s functions only', () => {
    const cdk = importsOf(CLI).filter((i) => i.specifier.startsWith('aws-cdk-lib') || i.specifier.startsWith('../lib/'));
    expect(cdk).toEqual([]);
  });
});
