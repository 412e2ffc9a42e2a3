import { BATCH_SIZE, RECORD_WORK_MS, type BatchFigures } from './batch.js';
import type { BundleFigures } from './bundle.js';
import type { Library } from './contenders.js';
import type { CpuFigures, MetricsOverhead } from './cpu.js';
import type { LatencyResult } from './latency.js';
import type { RequestFigures } from './requests.js';
import type { Summary } from './stats.js';
import type { StormFigures } from './storm.js';

/** Everything one `npm run bench` measured; a section is absent when it was not run. */
export interface BenchResults {
  readonly requests?: Record<Library, RequestFigures>;
  readonly cpu?: {
    readonly libraries: Record<Library, CpuFigures>;
    readonly bareMiddy: Summary;
    /** retry-safe with `emfMetrics` off and on (absent in results from before it was measured). */
    readonly metrics?: MetricsOverhead;
    readonly calls: number;
  };
  readonly latency?: LatencyResult & { readonly calls: number };
  readonly bundles?: BundleFigures & { readonly runs: number };
  readonly storms?: Record<Library, StormFigures>;
  readonly batches?: Record<Library, BatchFigures> & { readonly runs: number };
}

interface Row {
  readonly metric: string;
  readonly ours: string;
  readonly theirs: string;
  readonly ratio: string;
  readonly goal: string;
}

const us = (value: number) => `${value.toFixed(1)} µs`;
const ms = (value: number) => `${value.toFixed(2)} ms`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function ratio(ours: number, theirs: number): string {
  if (theirs === 0) return ours === 0 ? '1.00' : '—';
  return (ours / theirs).toFixed(2);
}

/** A goal from issue 6, and whether a measurement meets it. */
interface Goal {
  readonly text: string;
  met(ours: number, theirs: number): boolean;
}

const exactly = (value: number): Goal => ({ text: String(value), met: (ours) => ours === value });
const ratioAtMost = (max: number): Goal => ({
  text: `≤ ${max}×`,
  met: (ours, theirs) => theirs > 0 && ours / theirs <= max,
});

function verdict(text: string, met: boolean): string {
  return `${text} ${met ? '✓' : '✗'}`;
}

function row(metric: string, ours: number, theirs: number, format: (n: number) => string, goal?: Goal): Row {
  const goalText = goal ? verdict(goal.text, goal.met(ours, theirs)) : '';
  return { metric, ours: format(ours), theirs: format(theirs), ratio: ratio(ours, theirs), goal: goalText };
}

/** Median and p95 rows of a first execution and a replay, one metric per row. */
function percentileRows(
  metric: string,
  ours: { readonly firstExecution: Summary; readonly replay: Summary },
  theirs: { readonly firstExecution: Summary; readonly replay: Summary },
  format: (n: number) => string,
  goal: Goal,
): Row[] {
  const rows: Row[] = [];
  for (const scenario of ['firstExecution', 'replay'] as const) {
    const label = scenario === 'firstExecution' ? 'first execution' : 'replay';
    for (const stat of ['median', 'p95'] as const) {
      rows.push(row(`${metric}: ${label}, ${stat}`, ours[scenario][stat], theirs[scenario][stat], format, goal));
    }
  }
  return rows;
}

function stormSummary(storm: StormFigures): string {
  const once = storm.runsPerKey.filter((runs) => runs === 1).length;
  const most = Math.max(...storm.runsPerKey);
  return `${once}/${storm.keys} keys ran once (max ${most})`;
}

/** The one table: retry-safe, Powertools, and their ratio (retry-safe ÷ Powertools; lower is better). */
export function table(results: BenchResults): string {
  const rows: Row[] = [];
  const { requests, cpu, latency, bundles, storms } = results;
  if (requests) {
    const [o, t] = [requests['retry-safe'], requests.powertools];
    rows.push(row('DynamoDB requests: first execution', o.firstExecution, t.firstExecution, String, exactly(2)));
    rows.push(row('DynamoDB requests: replay', o.replay, t.replay, String, exactly(1)));
    rows.push(row('DynamoDB requests: reused key, other payload', o.mismatch, t.mismatch, String, exactly(1)));
    rows.push(row('DynamoDB requests: handler throws', o.throws, t.throws, String, exactly(2)));
    const afterMismatch = (f: RequestFigures) => (f.ranAgainAfterMismatch ? 'ran again' : 'replayed');
    rows.push({
      metric: 'Retry of the original after that mismatch',
      ours: afterMismatch(o),
      theirs: afterMismatch(t),
      ratio: '',
      goal: verdict('replayed', !o.ranAgainAfterMismatch),
    });
    rows.push(row('DynamoDB requests: replay, cache on', o.cachedReplay, t.cachedReplay, String, exactly(0)));
    rows.push(row('Bytes sent to DynamoDB: first execution', o.firstExecutionBodyBytes, t.firstExecutionBodyBytes, (n) => `${n} B`, ratioAtMost(0.8)));
    rows.push(row('Record left in the table (item size)', o.itemBytesAtRest, t.itemBytesAtRest, (n) => `${n} B`));
  }
  if (cpu) {
    rows.push(...percentileRows('Library CPU', cpu.libraries['retry-safe'], cpu.libraries.powertools, us, ratioAtMost(0.25)));
  }
  if (latency) {
    rows.push(
      ...percentileRows('Latency on DynamoDB Local', latency.libraries['retry-safe'], latency.libraries.powertools, ms, ratioAtMost(1)),
    );
  }
  if (bundles) {
    const [o, t, ref] = [bundles.sizes['retry-safe'], bundles.sizes.powertools, bundles.sizes.reference];
    const [oPlain, tPlain] = [bundles.sizes['retry-safe-plain'], bundles.sizes['powertools-plain']];
    rows.push(row('Handler bundle, minified (Middy handler)', o.bytes, t.bytes, kb, ratioAtMost(0.2)));
    rows.push(row('Handler bundle, minified + gzip (Middy handler)', o.gzipBytes, t.gzipBytes, kb));
    rows.push(row('Library bytes: Middy handler less the reference', o.bytes - ref.bytes, t.bytes - ref.bytes, kb, ratioAtMost(0.2)));
    rows.push(row('Handler bundle, minified (plain wrapper, no Middy)', oPlain.bytes, tPlain.bytes, kb, ratioAtMost(0.2)));
    const added = (load: Record<'retry-safe' | 'powertools' | 'reference', Summary>, library: Library) =>
      load[library].median - load.reference.median;
    rows.push(
      row('Load time added over the reference, wall (median)', added(bundles.loadMs, 'retry-safe'), added(bundles.loadMs, 'powertools'), ms, ratioAtMost(0.5)),
    );
    rows.push(
      row('Load time added over the reference, CPU (median)', added(bundles.loadCpuMs, 'retry-safe'), added(bundles.loadCpuMs, 'powertools'), ms, ratioAtMost(0.5)),
    );
  }
  if (storms) {
    const [o, t] = [storms['retry-safe'], storms.powertools];
    rows.push({
      metric: `Storm: ${o.concurrency} concurrent calls × ${o.keys} new keys`,
      ours: stormSummary(o),
      theirs: stormSummary(t),
      ratio: '',
      goal: verdict('all once', o.runsPerKey.every((runs) => runs === 1)),
    });
  }
  if (results.batches) rows.push(...batchRows(results.batches));
  const header = '| metric | retry-safe | Powertools | ratio | goal |\n| --- | ---: | ---: | ---: | ---: |';
  return [header, ...rows.map((r) => `| ${r.metric} | ${r.ours} | ${r.theirs} | ${r.ratio} | ${r.goal} |`)].join('\n');
}

/** Batch rows: requests per record, and a batch's wall time against one record's, for each library. */
function batchRows(batches: Record<Library, BatchFigures>): Row[] {
  const [o, t] = [batches['retry-safe'], batches.powertools];
  const twoDecimals = (n: number) => n.toFixed(2);
  const times = (n: number) => `${n.toFixed(2)}×`;
  const atMost = (max: number) => ({ text: `≤ ${max}×`, met: (ours: number) => ours <= max });
  return [
    row(`SQS batch: DynamoDB requests per new record (${BATCH_SIZE} records)`, o.requestsPerNewRecord, t.requestsPerNewRecord, twoDecimals, exactly(2)),
    row('SQS batch: DynamoDB requests per replayed record', o.requestsPerReplayedRecord, t.requestsPerReplayedRecord, twoDecimals, exactly(1)),
    row(`SQS batch: ${BATCH_SIZE} new records, wall (median)`, o.batchNew.median, t.batchNew.median, ms),
    row('SQS batch: 1 new record, wall (median)', o.oneNew.median, t.oneNew.median, ms),
    row(
      `SQS batch: ${BATCH_SIZE} new ÷ 1 new, wall (median)`,
      o.batchNew.median / o.oneNew.median,
      t.batchNew.median / t.oneNew.median,
      times,
      atMost(1.3),
    ),
    row(`SQS batch: ${BATCH_SIZE} replayed records, wall (median)`, o.batchReplayed.median, t.batchReplayed.median, ms),
  ];
}

/**
 * Plain statements of what the run showed about correctness, drawn from the measurements
 * (nothing here is printed unless the numbers above show it).
 */
export function findings(results: BenchResults): string {
  const lines: string[] = [];
  const pt = results.requests?.powertools;
  const ptStorm = results.storms?.powertools;
  const rsStorm = results.storms?.['retry-safe'];
  if (pt?.ranAgainAfterMismatch) {
    lines.push(
      '- Powertools (Middy middleware): a reused key with another payload is rejected, but the ' +
        'rejection also sends a `DeleteItem` for the stored record, so the next retry of the original ' +
        'request ran the handler again. Its `onError` hook deletes the record whenever its own `before` ' +
        'hook threw, without a condition. Reported upstream as ' +
        '[powertools-lambda-typescript#5675](https://github.com/aws-powertools/powertools-lambda-typescript/issues/5675), ' +
        'with a fix merged in #5676; the version measured here does not have it.',
    );
  }
  if (ptStorm && (ptStorm.requests.DeleteItem ?? 0) > 0) {
    const repeated = ptStorm.runsPerKey.filter((runs) => runs > 1).length;
    lines.push(
      `- Powertools storm: the ${ptStorm.inProgress} invocations told "already in progress" sent ` +
        `${ptStorm.requests.DeleteItem} \`DeleteItem\` requests between them, deleting the running claim, so ` +
        `${repeated} of ${ptStorm.keys} keys ran more than once (up to ${Math.max(...ptStorm.runsPerKey)} times).`,
    );
  }
  if (rsStorm) {
    const once = rsStorm.runsPerKey.every((runs) => runs === 1);
    lines.push(
      `- retry-safe storm: ${once ? 'every key ran exactly once' : 'SOME KEYS DID NOT RUN EXACTLY ONCE'}; ` +
        `${rsStorm.requests.DeleteItem ?? 0} \`DeleteItem\` requests (release is conditional on the owner token).`,
    );
  }
  return lines.join('\n');
}

/** Details under the table: what each scenario sent, what was bundled, how storms ended. */
export function details(results: BenchResults): string {
  const lines: string[] = [];
  const { requests, cpu, latency, bundles, storms } = results;
  if (requests) {
    lines.push('Requests per scenario (counted by a middleware on each SDK client, every attempt):', '');
    for (const library of ['retry-safe', 'powertools'] as const) {
      const ops = Object.entries(requests[library].operations).map(([scenario, op]) => `${scenario}: ${op}`);
      lines.push(`- ${library}: ${ops.join('; ')}. Record at rest: ${requests[library].attributesAtRest.join(', ')}.`);
    }
    lines.push('');
  }
  if (cpu) {
    const withoutMiddy = (scenario: keyof CpuFigures) =>
      ratio(
        cpu.libraries['retry-safe'][scenario].median - cpu.bareMiddy.median,
        cpu.libraries.powertools[scenario].median - cpu.bareMiddy.median,
      );
    lines.push(
      `Library CPU: ${cpu.calls} measured calls per library and scenario after a warm-up, blocks interleaved, each call with its own context object as in Lambda; ` +
        `the time inside the in-process \`send\` is subtracted. Both run under Middy; a bare Middy handler ` +
        `takes ${us(cpu.bareMiddy.median)} (median) of each figure. Without it, the median ratios are ` +
        `${withoutMiddy('firstExecution')} (first execution) and ${withoutMiddy('replay')} (replay).`,
      '',
    );
    if (cpu.metrics) {
      const { off, on, lineBytes } = cpu.metrics;
      const added = (scenario: keyof CpuFigures) =>
        `${us(off[scenario].median)} → ${us(on[scenario].median)} (${us(on[scenario].median - off[scenario].median)} added)`;
      lines.push(
        `Metrics overhead (retry-safe alone, \`onOutcome: emfMetrics(...)\` off → on, medians, interleaved as above): first execution ` +
          `${added('firstExecution')}, replay ${added('replay')}; each call builds a ${lineBytes}-byte EMF line, handed to a ` +
          `counting sink (writing it to stdout is Lambda's log pipeline's cost, not measured).`,
        '',
      );
    }
  }
  if (latency) {
    lines.push(
      `Latency: ${latency.calls} calls per library and scenario, interleaved, each library with its own SDK client (as each function has). Reference, a bare handler doing one ` +
        `PutItem: median ${ms(latency.barePutItem.median)}, p95 ${ms(latency.barePutItem.p95)}.`,
      '',
    );
  }
  if (bundles) {
    const load = bundles.loadMs;
    const cpuLoad = bundles.loadCpuMs;
    lines.push(
      `Bundles: esbuild, minified ESM, Node 20, \`@aws-sdk/*\` external. Reference handler (Middy and one PutItem): ` +
        `${kb(bundles.sizes.reference.bytes)}. Load (import in a fresh node, median of ${bundles.runs}): ` +
        `retry-safe ${ms(load['retry-safe'].median)}, Powertools ${ms(load.powertools.median)}, reference ${ms(load.reference.median)}; ` +
        `CPU: ${ms(cpuLoad['retry-safe'].median)}, ${ms(cpuLoad.powertools.median)}, ${ms(cpuLoad.reference.median)}. ` +
        'Each process loads `@aws-sdk/client-dynamodb` before the clock starts, as all three import it.',
      `retry-safe modules in its bundle, minified bytes each: ${bundles.sizes['retry-safe'].ownBytes
        .map(([input, bytes]) => `${input} ${bytes}`)
        .join(', ')}; \`@middy/core\` adds ${bundles.sizes['retry-safe'].middyBytes} to each Middy handler.`,
      `Of the HTTP and step modules, tree-shaking kept: ${
        bundles.sizes['retry-safe'].ownInputs.filter((input) => /^lambda\/(http|steps)\//.test(input)).join(', ') || 'none'
      }.`,
      '',
    );
  }
  if (results.batches) {
    lines.push(
      `SQS batches: ${results.batches.runs} runs per library, interleaved, each library with its own client and table; ` +
        `each record's work waits ${RECORD_WORK_MS} ms (a downstream call). retry-safe: \`makeIdempotentBatch\` with its ` +
        'defaults (key `messageId`, fingerprint `body`, 10 records at a time). Powertools: `BatchProcessor` with ' +
        '`processPartialResponse` (records in parallel, its default) around its `makeIdempotent` per record, key ' +
        '`messageId`, payload validated over `body`, as its documentation wires them.',
      '',
    );
  }
  if (storms) {
    for (const library of ['retry-safe', 'powertools'] as const) {
      const s = storms[library];
      const errors = Object.entries(s.otherErrors).map(([name, n]) => `${n} ${name}`).join(', ') || 'none';
      const sent = Object.entries(s.requests).map(([op, n]) => `${n} ${op}`).join(', ');
      lines.push(
        `- Storm, ${library}: runs per key ${s.runsPerKey.join(' ')}; ${s.succeeded} calls returned a result, ` +
          `${s.inProgress} were told the key was in progress, other errors: ${errors}. Requests: ${sent}.`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
