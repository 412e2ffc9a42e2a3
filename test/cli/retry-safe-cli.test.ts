import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { runCli, type CliIO } from '../../cli/main.js';
import { claim, claimRequest, identify, recordId } from '../../lambda/core/engine.js';
import { resolveOptions } from '../../lambda/core/options.js';
import { IdempotencyInProgressError, makeIdempotent, step } from '../../lambda/index.js';
import { lambdaContext, recordingLogger } from '../support/lambda-context.js';
import { createLocalTable, type LocalTable } from '../support/local-table.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const CLI = fileURLToPath(new URL('../../cli/index.ts', import.meta.url));

interface Charge {
  readonly orderId: string;
  readonly amountCents: number;
}

/** The operation the CLI is pointed at: a charge, idempotent by order id, with one step. */
function chargeWorld(table: LocalTable) {
  const logger = recordingLogger();
  const options = { store: table.store, name: 'charge', key: (e: Charge) => e.orderId, logger };
  let runs = 0;
  const handler = makeIdempotent(async (e: Charge) => {
    runs += 1;
    const receipt = await step('provider', (key) => ({ providerKey: key, amountCents: e.amountCents }));
    return { charged: e.amountCents, receipt };
  }, options);
  const resolved = resolveOptions(options);
  return {
    /** One invocation of the handler, as Lambda would make it. */
    call: (event: Charge) => handler(event, lambdaContext({ functionName: 'charge-function' })),
    runs: () => runs,
    /** An invocation that claimed the key and died without completing or releasing it, its lease `leaseMs` long. */
    async crashedClaim(event: Charge, leaseMs: number, scope?: string) {
      const identity = identify(resolved, event, undefined);
      if (!identity) throw new Error('no identity');
      const decision =
        scope === undefined
          ? await claim(resolved, recordId('charge', identity.key), identity.fingerprint, leaseMs)
          : await claimRequest(resolved, identity, lambdaContext({ remainingMs: leaseMs }), scope);
      expect(decision.action).toBe('run');
    },
  };
}

/** Runs the CLI in-process; `answer` answers its confirmation prompt (none: not a terminal). */
async function cli(table: LocalTable, argv: string[], answer?: () => Promise<boolean> | boolean) {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    env: {},
    ...(answer ? { confirm: async () => answer() } : {}),
  };
  const code = await runCli([...argv, '--table', table.tableName, '--endpoint', inject('dynamoDBEndpoint')], io);
  return { code, out, err };
}

const order: Charge = { orderId: 'order-7', amountCents: 1250 };
const keyFlags = ['--name', 'charge', '--key', order.orderId];

describe('the retry-safe CLI, on DynamoDB Local', () => {
  it('finds a crashed claim with stuck, frees it with release, and the next call runs', async () => {
    // GIVEN an invocation that claimed the key and crashed; its (short) lease has passed
    const table = await createLocalTable('cli');
    const world = chargeWorld(table);
    await world.crashedClaim(order, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));

    // WHEN an operator lists stuck records
    const stuck = await cli(table, ['stuck', '--json']);
    // THEN the claim is there, by record id only, with the scan's progress on stderr
    expect(stuck.code).toBe(EXIT.ok);
    const listed = JSON.parse(stuck.out) as { count: number; records: { id: string; status: string; leaseExpired: boolean }[] };
    expect(listed.count).toBe(1);
    expect(listed.records[0]).toMatchObject({ id: recordId('charge', order.orderId), status: 'in-progress', leaseExpired: true });
    expect(stuck.err).toMatch(/scanned 1 items in 1 page\(s\), 1 found/);
    expect(stuck.out).not.toContain(order.orderId);

    // WHEN they release it (without a prompt)
    const released = await cli(table, ['release', ...keyFlags, '--yes']);
    // THEN it is gone, and the next call runs the handler once
    expect(released.code).toBe(EXIT.ok);
    expect(released.out).toContain('released');
    expect(await table.getItem(recordId('charge', order.orderId))).toBeUndefined();
    await expect(world.call(order)).resolves.toMatchObject({ charged: 1250 });
    expect(world.runs()).toBe(1);
    expect((await cli(table, ['stuck'])).out).toBe('no stuck records\n');
  });

  it('refuses to release a claim whose lease is live unless forced, which unblocks the key', async () => {
    // GIVEN a crashed invocation whose lease still runs for a minute: calls are refused meanwhile
    const table = await createLocalTable('cli');
    const world = chargeWorld(table);
    await world.crashedClaim(order, 60_000);
    await expect(world.call(order)).rejects.toBeInstanceOf(IdempotencyInProgressError);

    // WHEN released without --force
    const refused = await cli(table, ['release', ...keyFlags, '--yes']);
    // THEN nothing is deleted: the handler may still be running
    expect(refused.code).toBe(EXIT.refused);
    expect(refused.err).toMatch(/lease is live until .* the handler may still be running/);
    expect(await table.getItem(recordId('charge', order.orderId))).toBeDefined();

    // WHEN the operator knows it crashed, and forces
    const forced = await cli(table, ['release', ...keyFlags, '--yes', '--force']);
    // THEN the next call runs at once
    expect(forced.code).toBe(EXIT.ok);
    await world.call(order);
    expect(world.runs()).toBe(1);
  });

  it('inspects a completed key: status, owner, retention, result size and its step, as a table and as JSON', async () => {
    // GIVEN a completed call
    const table = await createLocalTable('cli');
    const world = chargeWorld(table);
    await world.call(order);

    // WHEN inspected for people
    const text = await cli(table, ['inspect', ...keyFlags, '--step', 'provider', '--step', 'never-ran']);
    // THEN
    expect(text.code).toBe(EXIT.ok);
    expect(text.out).toMatch(/^id +charge#[A-Za-z0-9_-]{22}$/m);
    expect(text.out).toMatch(/^status +completed$/m);
    expect(text.out).toMatch(/^owner +\S+$/m);
    expect(text.out).toMatch(/^retained until +\d{4}-\d\d-\d\dT/m);
    expect(text.out).toMatch(/^result +\d+ bytes \(json\)$/m);
    expect(text.out).toContain('step "provider"');
    expect(text.out).toMatch(/step "never-ran"\n.*no record/);

    // WHEN inspected with --json
    const json = await cli(table, ['inspect', ...keyFlags, '--step', 'provider', '--json']);
    const parsed = JSON.parse(json.out) as {
      id: string;
      found: boolean;
      record: { status: string; resultBytes: number; resultEncoding: string; leaseExpiresAt?: string };
      steps: { name: string; id: string; record: { status: string } }[];
    };
    // THEN the ids are the library's own, and the result's size is that of what was stored
    expect(parsed.id).toBe(recordId('charge', order.orderId));
    expect(parsed.record).toMatchObject({ status: 'completed', resultEncoding: 'json' });
    expect(parsed.record.leaseExpiresAt).toBeUndefined();
    const stored = await table.getItem(parsed.id);
    expect(parsed.record.resultBytes).toBe(Buffer.byteLength(String(stored?.r?.S)));
    expect(parsed.steps).toEqual([
      expect.objectContaining({ name: 'provider', id: expect.stringMatching(/#step#/), record: expect.objectContaining({ status: 'completed' }) }),
    ]);
    expect(json.out).not.toContain(order.orderId);
  });

  it('inspects a large result kept in an item of its own: its size, encoding and item; stuck does not list that item', async () => {
    // GIVEN a completed call whose result (random base64, ~27 KB) is kept out of the record
    const table = await createLocalTable('cli');
    const blob = randomBytes(20_000).toString('base64');
    await makeIdempotent(async () => ({ blob }), { store: table.store, name: 'charge', key: (e: Charge) => e.orderId })(
      order,
      lambdaContext(),
    );
    const record = await table.getItem(recordId('charge', order.orderId));
    const resultItem = await table.getItem(record?.R?.S ?? '');

    // WHEN inspected, as JSON and as text
    const json = JSON.parse((await cli(table, ['inspect', ...keyFlags, '--json'])).out) as {
      record: { resultBytes: number; resultEncoding: string; resultItem?: string };
    };
    const text = await cli(table, ['inspect', ...keyFlags]);

    // THEN the sizes are the result item's, which the record names
    expect(json.record).toEqual(
      expect.objectContaining({ resultEncoding: 'brotli', resultItem: record?.R?.S, resultBytes: resultItem?.r?.B?.byteLength }),
    );
    expect(text.out).toMatch(/^result +\d+ bytes \(brotli\) in charge#\S+#result#\S+$/m);
    // AND the result item, which has no status, is not mistaken for a stuck claim
    expect((await cli(table, ['stuck'])).out).toContain('no stuck records');
  });

  it('finds step records by Scan with --scan-steps, when the step names are not known', async () => {
    const table = await createLocalTable('cli');
    await chargeWorld(table).call(order);
    const json = await cli(table, ['inspect', ...keyFlags, '--scan-steps', '--json']);
    const parsed = JSON.parse(json.out) as { steps: { id: string; name?: string }[] };
    expect(parsed.steps).toHaveLength(1);
    expect(parsed.steps[0].id.startsWith(`${recordId('charge', order.orderId)}#step#`)).toBe(true);
    expect(json.err).toContain('scanned');
  });

  it('refuses to release a completed record unless forced: that would run the side effect again', async () => {
    const table = await createLocalTable('cli');
    const world = chargeWorld(table);
    await world.call(order);
    const refused = await cli(table, ['release', ...keyFlags, '--yes']);
    expect(refused.code).toBe(EXIT.refused);
    expect(refused.err).toContain('it is completed');
    await world.call(order);
    expect(world.runs()).toBe(1);
  });

  it('asks before deleting, and deletes nothing when the answer is no or nobody can answer', async () => {
    const table = await createLocalTable('cli');
    await chargeWorld(table).crashedClaim(order, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const declined = await cli(table, ['release', ...keyFlags], () => false);
    expect(declined.code).toBe(EXIT.refused);
    const noTerminal = await cli(table, ['release', ...keyFlags]);
    expect(noTerminal.code).toBe(EXIT.refused);
    expect(noTerminal.err).toContain('pass --yes');
    expect(await table.getItem(recordId('charge', order.orderId))).toBeDefined();
    const confirmed = await cli(table, ['release', ...keyFlags], () => true);
    expect(confirmed.code).toBe(EXIT.ok);
  });

  it('deletes nothing when the record changed between reading and deleting it', async () => {
    // GIVEN a crashed claim, and a retry that takes it over and completes while the operator reads the prompt
    const table = await createLocalTable('cli');
    const world = chargeWorld(table);
    await world.crashedClaim(order, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // WHEN
    const raced = await cli(table, ['release', ...keyFlags], async () => {
      await world.call(order);
      return true;
    });
    // THEN the completed record stays, and replays
    expect(raced.code).toBe(EXIT.changed);
    await world.call(order);
    expect(world.runs()).toBe(1);
  });

  it('finds a key stored under a caller scope only with --scope', async () => {
    const table = await createLocalTable('cli');
    await chargeWorld(table).crashedClaim(order, 60_000, 'user:alice');
    expect((await cli(table, ['inspect', ...keyFlags])).code).toBe(EXIT.notFound);
    const scoped = await cli(table, ['inspect', ...keyFlags, '--scope', 'user:alice', '--json']);
    expect(scoped.code).toBe(EXIT.ok);
    expect(JSON.parse(scoped.out)).toMatchObject({ record: { status: 'in-progress', leaseExpired: false } });
  });

  it('fails with the usage code on a wrong command line, naming the problem', async () => {
    const table = await createLocalTable('cli');
    for (const [argv, message] of [
      [['inspect', '--name', 'charge'], /needs --key/],
      [['inspect', ...keyFlags, '--colour'], /Unknown option '--colour'/],
      [['purge'], /unknown command "purge"/],
      [['inspect', '--name', 'charge', '--key', 'bad\u0000key'], /--key is not a key the library accepts/],
    ] as const) {
      const run = await cli(table, [...argv]);
      expect(run.code).toBe(EXIT.usage);
      expect(run.err).toMatch(message);
    }
  });

  it('runs as a command: npx tsx cli/index.ts inspect --json, exit 0; a missing key exits 3', async () => {
    // GIVEN
    const table = await createLocalTable('cli');
    await chargeWorld(table).call(order);
    const run = (argv: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(
          TSX,
          [CLI, ...argv, '--table', table.tableName, '--endpoint', inject('dynamoDBEndpoint')],
          { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 },
          (error, stdout) => resolve({ code: typeof error?.code === 'number' ? error.code : error ? -1 : 0, stdout }),
        );
      });
    // WHEN / THEN
    const found = await run(['inspect', ...keyFlags, '--json']);
    expect(found.code).toBe(EXIT.ok);
    expect(JSON.parse(found.stdout)).toMatchObject({ found: true, record: { status: 'completed' } });
    const missing = await run(['inspect', '--name', 'charge', '--key', 'order-unknown']);
    expect(missing.code).toBe(EXIT.notFound);
  }, 90_000);
});
