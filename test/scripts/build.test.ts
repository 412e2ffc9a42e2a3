import { describe, expect, it } from 'vitest';
import { binSources, packageEntries } from '../../scripts/build.js';

describe('the package entries in package.json', () => {
  it('each map a subpath to dist/ with its source present and a node10 types mapping', () => {
    const entries = packageEntries();

    expect(entries.map((entry) => entry.subpath)).toEqual(['.', './cdk', './valkey', './testing']);
    expect(entries.map((entry) => entry.source)).toEqual(['lambda/index.ts', 'lib/index.ts', 'lambda/valkey/index.ts', 'lambda/testing/index.ts']);
  });

  it('builds the retry-safe command from its source', () => {
    expect(binSources()).toEqual(['cli/index.ts']);
  });
});
