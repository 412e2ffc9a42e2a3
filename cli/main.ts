import type { Item } from '../lambda/core/dynamodb-items.js';
import { RESULT_ITEM_ATTRIBUTE } from '../lambda/core/table-schema.js';
import { CliUsageError, parseCliArgs, USAGE, type CliArgs } from './args.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import {
  deleteIfUnchanged,
  parentRecordId,
  readItem,
  scanItems,
  stepRecordId,
  stepsFilter,
  stuckFilter,
  tableFor,
  viewOf,
  type RecordView,
  type Table,
} from './records.js';

/** Where the CLI talks to: injected so tests drive it in-process. */
export interface CliIO {
  /** Results: a table for people, or one JSON document with `--json`. */
  readonly out: (text: string) => void;
  /** Messages, prompts and the scan's progress. */
  readonly err: (text: string) => void;
  /** Asks a yes/no question; `undefined` when there is nobody to ask (not a terminal). */
  readonly confirm?: (question: string) => Promise<boolean>;
  readonly env: NodeJS.ProcessEnv;
  /** The clock, in epoch milliseconds. */
  readonly now?: () => number;
}

/** Runs one command line; resolves to the exit code (see {@link EXIT}). */
export async function runCli(argv: readonly string[], io: CliIO): Promise<ExitCode> {
  let args: CliArgs | undefined;
  try {
    args = parseCliArgs(argv, io.env);
    if (!args) {
      io.out(USAGE + '\n');
      return EXIT.ok;
    }
    const table = tableFor(args.table, args.region, args.endpoint, io.env);
    try {
      if (args.command === 'inspect') return await inspect(args, table, io);
      if (args.command === 'release') return await release(args, table, io);
      return await stuck(table, io, args.json);
    } finally {
      table.client.destroy();
    }
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.err(`retry-safe: ${error.message}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    const { name, message } = error as Error;
    io.err(`retry-safe: ${name}: ${message}\n`);
    return EXIT.error;
  }
}

interface StepView {
  /** The step's name, when given with `--step`; a scan knows only the id. */
  readonly name?: string;
  readonly id: string;
  readonly record?: RecordView;
}

async function inspect(args: CliArgs, table: Table, io: CliIO): Promise<ExitCode> {
  const nowMs = (io.now ?? Date.now)();
  const id = parentRecordId(args.name ?? '', args.key ?? '', args.scope);
  const item = await readItem(table, id);
  const steps: StepView[] = [];
  for (const name of args.steps) {
    const stepId = stepRecordId(id, name);
    const stepItem = await readItem(table, stepId);
    steps.push({ name, id: stepId, ...(stepItem ? { record: viewOf(stepItem, nowMs) } : {}) });
  }
  if (args.scanSteps) {
    const found = await scanWithProgress(io, table, stepsFilter(id));
    for (const stepItem of found) {
      const view = viewOf(stepItem, nowMs);
      if (!steps.some((s) => s.id === view.id)) steps.push({ id: view.id, record: view });
    }
  }
  const resultRef = item?.[RESULT_ITEM_ATTRIBUTE]?.S;
  const record = item ? viewOf(item, nowMs, resultRef ? await readItem(table, resultRef) : undefined) : undefined;
  if (args.json) {
    io.out(JSON.stringify({ id, found: record !== undefined, record, steps }, null, 2) + '\n');
  } else {
    io.out(record ? describeRecord(record) : `${id}: no record (never claimed, released, or expired)\n`);
    for (const step of steps) {
      io.out(`\nstep ${step.name === undefined ? '(found by scan)' : JSON.stringify(step.name)}\n`);
      io.out(step.record ? describeRecord(step.record) : `${step.id}: no record (not reached, or expired)\n`);
    }
  }
  return record ? EXIT.ok : EXIT.notFound;
}

async function release(args: CliArgs, table: Table, io: CliIO): Promise<ExitCode> {
  const nowMs = (io.now ?? Date.now)();
  const parentId = parentRecordId(args.name ?? '', args.key ?? '', args.scope);
  if (args.steps.length > 1) throw new CliUsageError('release takes at most one --step');
  const id = args.steps.length === 1 ? stepRecordId(parentId, args.steps[0]) : parentId;
  const item = await readItem(table, id);
  const answer = (result: string, code: ExitCode, message: string, record?: RecordView): ExitCode => {
    if (args.json) io.out(JSON.stringify({ id, result, ...(record ? { record } : {}) }, null, 2) + '\n');
    (code === EXIT.ok && !args.json ? io.out : io.err)(message + '\n');
    return code;
  };
  if (!item) return answer('not-found', EXIT.notFound, `${id}: no record to release`);
  const record = viewOf(item, nowMs);
  const refusal = refusalOf(record, args.force);
  if (refusal) return answer('refused', EXIT.refused, `${id}: not released: ${refusal}`, record);
  if (!args.yes) {
    if (!io.confirm) return answer('refused', EXIT.refused, `${id}: not released: no terminal to confirm on; pass --yes`, record);
    if (!args.json) io.err(describeRecord(record));
    const confirmed = await io.confirm(`Delete ${record.status} record ${id}? The next call with this key runs its handler again. [y/N] `);
    if (!confirmed) return answer('refused', EXIT.refused, `${id}: not released (not confirmed)`, record);
  }
  if (!(await deleteIfUnchanged(table, item))) {
    return answer('changed', EXIT.changed, `${id}: not released: the record changed since it was read (claimed or completed meanwhile); inspect it again`, record);
  }
  return answer('released', EXIT.ok, `${id}: released; the next call with this key runs`, record);
}

/** Why a record may not be deleted without `--force`, or `undefined`. */
function refusalOf(record: RecordView, force: boolean): string | undefined {
  if (force) return undefined;
  if (record.status === 'completed') {
    return 'it is completed: deleting it makes the next retry run the side effect again (pass --force if that is what you want)';
  }
  if (record.leaseExpired === false) {
    return `its lease is live until ${record.leaseExpiresAt}: the handler may still be running; wait, or pass --force if you know it crashed`;
  }
  return undefined;
}

async function stuck(table: Table, io: CliIO, json: boolean): Promise<ExitCode> {
  const nowMs = (io.now ?? Date.now)();
  const items = await scanWithProgress(io, table, stuckFilter(nowMs));
  const records = items.map((item: Item) => viewOf(item, nowMs));
  if (json) {
    io.out(JSON.stringify({ count: records.length, records }, null, 2) + '\n');
    return EXIT.ok;
  }
  if (records.length === 0) {
    io.out('no stuck records\n');
    return EXIT.ok;
  }
  const rows = records.map((r) => [r.id, r.leaseExpiresAt ?? '(started step)', r.retainedUntil]);
  io.out(formatTable(['id', 'lease expired at', 'retained until'], rows));
  io.out(`${records.length} record(s); inspect one with --name and --key, or release it\n`);
  return EXIT.ok;
}

/** Scans with a progress line on stderr (rewritten in place after each page; stdout stays clean for --json). */
async function scanWithProgress(io: CliIO, table: Table, filter: Parameters<typeof scanItems>[1]): Promise<Item[]> {
  const items = await scanItems(table, filter, ({ pages, scanned, matched }) =>
    io.err(`\rscanned ${scanned} items in ${pages} page(s), ${matched} found`),
  );
  io.err('\n');
  return items;
}

function describeRecord(record: RecordView): string {
  const lease =
    record.leaseExpiresAt === undefined
      ? record.status === 'in-progress'
        ? '(none: a started at-most-once step)'
        : '(none)'
      : `${record.leaseExpiresAt}${record.leaseExpired ? ' (expired)' : ' (live)'}`;
  const result =
    record.resultEncoding === 'none'
      ? record.resultItem
        ? `missing: its item ${record.resultItem} is gone`
        : record.resultUnavailable
        ? `none (${record.resultUnavailable})`
        : 'none'
      : `${record.resultBytes} bytes (${record.resultEncoding})${record.resultItem ? ` in ${record.resultItem}` : ''}`;
  const rows: [string, string][] = [
    ['id', record.id],
    ['status', record.status],
    ['owner', record.owner ?? '(none)'],
    ['lease expires', lease],
    ['retained until', record.retainedUntil],
    ['result', result],
    ['fingerprint', record.fingerprint],
  ];
  return rows.map(([label, value]) => `${label.padEnd(15)} ${value}`).join('\n') + '\n';
}

function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}
