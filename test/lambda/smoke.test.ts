import { describe, expect, it } from 'vitest';
import { makeIdempotent } from '../../lambda/index.js';
import { createLocalTable } from '../support/local-table.js';

describe('smoke', () => {
  it('runs once and replays', async () => {
    const table = await createLocalTable();
    let runs = 0;
    const handler = makeIdempotent(async (e: { id: string }) => ({ runs: ++runs, id: e.id }), {
      store: table.store,
      name: 'smoke',
      key: (e) => e.id,
    });
    const ctx = {} as never;
    expect(await handler({ id: 'a' }, ctx)).toEqual({ runs: 1, id: 'a' });
    expect(await handler({ id: 'a' }, ctx)).toEqual({ runs: 1, id: 'a' });
    expect(runs).toBe(1);
  });
});
