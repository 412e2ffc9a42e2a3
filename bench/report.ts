import { BATCH_SIZE, RECORD_WORK_MS, type BatchFigures } from './batch.js';
import { FEATURE_BUNDLES, type BundleSizes, type LoadFigures } from './bundle.js';
import type { Library } from './contenders.js';
import { COST_RESULTS, WRITE_TO_READ_PRICE, type CostFigures, type CostResult } from './cost.js';
import type { CpuFigures, MetricsOverhead } from './cpu.js';
import type { LatencyResult } from './latency.js';
import type { RequestFigures } from './requests.js';
import { spread, type Spread, type Summary } from './stats.js';
import type { StormFigures } from './storm.js';

/** One round of the CPU section. */
export interface CpuRound {
  readonly libraries: Record<Library, CpuFigures>;
  readonly bareMiddy: Summary;
  /** retry-safe with `emfMetrics` off and on. */
  readonly metrics: MetricsOverhead;
}

/**
 * Everything one `npm run bench` measured; a section is absent when it was not run. Timed
 * sections and the cost hold one entry per round; requests, bundle sizes and storms are measured
 * once (the first two are deterministic, the storm is a correctness check).
 */
export interface BenchResults {
  /** How many rounds the timed sections ran. */
  readonly rounds?: number;
  readonly requests?: Record<Library, RequestFigures>;
  readonly cost?: { readonly rounds: readonly Record<Library, CostFigures>[] };
  readonly cpu?: { readonly rounds: readonly CpuRound[]; readonly calls: number };
  readonly latency?: { readonly rounds: readonly LatencyResult[]; readonly calls: number };
  readonly bundles?: BundleSizes & { readonly load: readonly LoadFigures[]; readonly runs: number };
  readonly storms?: Record<Library, StormFigures>;
  readonly batches?: { readonly rounds: readonly Record<Library, BatchFigures>[]; readonly runs: number };
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
const times = (n: number) => `${n.toFixed(2)}×`;
const twoDecimals = (n: number) => (Number.isNaN(n) ? '—' : n.toFixed(2));
/** Capacity units: whole, or halves from eventually consistent reads. */
const units = (n: number) => String(Number(n.toFixed(1)));

function ratio(ours: number, theirs: number): number {
  if (theirs === 0) return ours === 0 ? 1 : Number.NaN;
  return ours / theirs;
}

/** `0.24 (0.23–0.26)`: the median of rounds and its range; the median alone when every round agreed. */
export function spreadText(s: Spread, format: (n: number) => string = twoDecimals): string {
  const [median, min, max] = [format(s.median), format(s.min), format(s.max)];
  return min === max ? median : `${median} (${min}–${max})`;
}

/** A goal from the issues, and whether a measurement meets it (retry-safe's figure and the ratio, medians of rounds). */
interface Goal {
  readonly text: string;
  met(ours: number, ratio: number): boolean;
}

const exactly = (value: number): Goal => ({ text: String(value), met: (ours) => ours === value });
const ratioAtMost = (max: number): Goal => ({ text: `≤ ${max}×`, met: (_ours, r) => r <= max });
/** A bound on retry-safe's own figure where that is itself a ratio (to one record's time, to a floor). */
const atMost = (max: number): Goal => ({ text: `≤ ${max}×`, met: (ours) => ours <= max });

function verdict(text: string, met: boolean): string {
  return `${text} ${met ? '✓' : '✗'}`;
}

/**
 * A row from one pair of figures per round: each column is the median of rounds, the ratio the
 * median of the rounds' ratios with its range. With `spreadValues`, the figures show their range
 * too (for figures that are themselves ratios, where the range is the point).
 */
function roundsRow(
  metric: string,
  pairs: ReadonlyArray<readonly [ours: number, theirs: number]>,
  format: (n: number) => string,
  goal?: Goal,
  spreadValues = false,
): Row {
  const [ours, theirs] = [spread(pairs.map(([o]) => o)), spread(pairs.map(([, t]) => t))];
  const ratios = spread(pairs.map(([o, t]) => ratio(o, t)));
  const value = (s: Spread) => (spreadValues ? spreadText(s, format) : format(s.median));
  return {
    metric,
    ours: value(ours),
    theirs: value(theirs),
    ratio: spreadText(ratios),
    goal: goal ? verdict(goal.text, goal.met(ours.median, ratios.median)) : '',
  };
}

/** A row of figures measured once (deterministic ones: request counts, sizes). */
function row(metric: string, ours: number, theirs: number, format: (n: number) => string, goal?: Goal): Row {
  return roundsRow(metric, [[ours, theirs]], format, goal);
}

interface FirstAndReplay {
  readonly firstExecution: Summary;
  readonly replay: Summary;
}

/** Median and p95 rows of a first execution and a replay, one metric per row, over rounds. */
function percentileRows(
  metric: string,
  rounds: ReadonlyArray<readonly [ours: FirstAndReplay, theirs: FirstAndReplay]>,
  format: (n: number) => string,
  goal: Goal,
): Row[] {
  const rows: Row[] = [];
  for (const scenario of ['firstExecution', 'replay'] as const) {
    const label = scenario === 'firstExecution' ? 'first execution' : 'replay';
    for (const stat of ['median', 'p95'] as const) {
      const pairs = rounds.map(([o, t]) => [o[scenario][stat], t[scenario][stat]] as const);
      rows.push(roundsRow(`${metric}: ${label}, ${stat}`, pairs, format, goal));
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
  const { requests, cost, cpu, latency, bundles, storms } = results;
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
  if (cost) rows.push(...costRows(cost.rounds));
  if (cpu) {
    const pairs = cpu.rounds.map((r) => [r.libraries['retry-safe'], r.libraries.powertools] as const);
    rows.push(...percentileRows('Library CPU', pairs, us, ratioAtMost(0.25)));
  }
  if (latency) {
    const pairs = latency.rounds.map((r) => [r.libraries['retry-safe'], r.libraries.powertools] as const);
    rows.push(...percentileRows('Latency on DynamoDB Local', pairs, ms, ratioAtMost(1)));
    rows.push(...floorRows(latency.rounds));
  }
  if (bundles) {
    const [o, t, ref] = [bundles.sizes['retry-safe'], bundles.sizes.powertools, bundles.sizes.reference];
    const [oPlain, tPlain] = [bundles.sizes['retry-safe-plain'], bundles.sizes['powertools-plain']];
    rows.push(row('Handler bundle, minified (Middy handler, middleware only)', o.bytes, t.bytes, kb, ratioAtMost(0.25)));
    rows.push(row('Handler bundle, minified + gzip (Middy handler)', o.gzipBytes, t.gzipBytes, kb));
    rows.push(row('Library bytes: Middy handler less the reference', o.bytes - ref.bytes, t.bytes - ref.bytes, kb, ratioAtMost(0.2)));
    rows.push(row('Handler bundle, minified (plain wrapper, no Middy)', oPlain.bytes, tPlain.bytes, kb, ratioAtMost(0.2)));
    const added = (load: LoadFigures['loadMs'], library: Library) => load[library].median - load.reference.median;
    const loadPairs = (which: keyof LoadFigures) =>
      bundles.load.map((l) => [added(l[which], 'retry-safe'), added(l[which], 'powertools')] as const);
    rows.push(roundsRow('Load time added over the reference, wall (median)', loadPairs('loadMs'), ms, ratioAtMost(0.5)));
    rows.push(roundsRow('Load time added over the reference, CPU (median)', loadPairs('loadCpuMs'), ms, ratioAtMost(0.5)));
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
  if (results.batches) rows.push(...batchRows(results.batches.rounds));
  const header = '| metric | retry-safe | Powertools | ratio | goal |\n| --- | ---: | ---: | ---: | ---: |';
  return [header, ...rows.map((r) => `| ${r.metric} | ${r.ours} | ${r.theirs} | ${r.ratio} | ${r.goal} |`)].join('\n');
}

/** Goals of issue 17 per cost scenario: the floor for a small result, ratios for large ones. */
const COST_GOALS: Record<CostResult, { readonly firstExecution?: Goal; readonly replay?: Goal }> = {
  small: {
    firstExecution: { text: `floor ${2 * WRITE_TO_READ_PRICE} (2 WCU)`, met: (ours) => ours === 2 * WRITE_TO_READ_PRICE },
    replay: { text: `floor ${WRITE_TO_READ_PRICE} (1 WCU)`, met: (ours) => ours === WRITE_TO_READ_PRICE },
  },
  order: { firstExecution: ratioAtMost(0.15), replay: ratioAtMost(0.05) },
  random: { replay: ratioAtMost(0.1) },
};

/** Cost rows: the price of a call in read units (5 × WCU + RCU), each result, first execution and replay. */
function costRows(rounds: readonly Record<Library, CostFigures>[]): Row[] {
  const rows: Row[] = [];
  for (const name of Object.keys(COST_RESULTS) as CostResult[]) {
    for (const call of ['firstExecution', 'replay'] as const) {
      const pairs = rounds.map((r) => [r['retry-safe'].scenarios[name][call].cost, r.powertools.scenarios[name][call].cost] as const);
      const label = `Cost per call (${WRITE_TO_READ_PRICE}×WCU+RCU): result ${COST_RESULTS[name].label}, ${call === 'firstExecution' ? 'first execution' : 'replay'}`;
      rows.push(roundsRow(label, pairs, units, COST_GOALS[name][call]));
    }
  }
  return rows;
}

/** Latency against the floor: the same round trips made bare, measured in the same rounds. */
function floorRows(rounds: readonly LatencyResult[]): Row[] {
  const overFloor = (scenario: keyof FirstAndReplay, floor: (r: LatencyResult) => Summary) =>
    rounds.map((r) => [r.libraries['retry-safe'][scenario].median / floor(r).median, r.libraries.powertools[scenario].median / floor(r).median] as const);
  return [
    roundsRow('Latency ÷ floor: first execution ÷ two raw PutItems (median)', overFloor('firstExecution', (r) => r.bareTwoPutItems), times, atMost(1.1), true),
    roundsRow('Latency ÷ floor: replay ÷ one raw PutItem (median)', overFloor('replay', (r) => r.barePutItem), times, atMost(1.1), true),
    roundsRow(
      'Latency ÷ floor: replay ÷ one raw PutItem rejected by its condition (median)',
      overFloor('replay', (r) => r.bareRejectedPutItem),
      times,
      undefined,
      true,
    ),
  ];
}

/** Batch rows: requests per record, and a batch's wall time against one record's, for each library. */
function batchRows(rounds: readonly Record<Library, BatchFigures>[]): Row[] {
  const pairs = (figure: (f: BatchFigures) => number) => rounds.map((r) => [figure(r['retry-safe']), figure(r.powertools)] as const);
  return [
    roundsRow(`SQS batch: DynamoDB requests per new record (${BATCH_SIZE} records)`, pairs((f) => f.requestsPerNewRecord), twoDecimals, exactly(2)),
    roundsRow('SQS batch: DynamoDB requests per replayed record', pairs((f) => f.requestsPerReplayedRecord), twoDecimals, exactly(1)),
    roundsRow(`SQS batch: ${BATCH_SIZE} new records, wall (median)`, pairs((f) => f.batchNew.median), ms),
    roundsRow('SQS batch: 1 new record, wall (median)', pairs((f) => f.oneNew.median), ms),
    roundsRow(`SQS batch: ${BATCH_SIZE} new ÷ 1 new, wall (median)`, pairs((f) => f.batchNew.median / f.oneNew.median), times, atMost(1.3), true),
    roundsRow(`SQS batch: ${BATCH_SIZE} replayed records, wall (median)`, pairs((f) => f.batchReplayed.median), ms),
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

/** The median over rounds of one figure. */
const medianOf = <T>(rounds: readonly T[], figure: (round: T) => number): number => spread(rounds.map(figure)).median;

/** Details under the table: what each scenario sent, what was bundled, how storms ended. */
export function details(results: BenchResults): string {
  const lines: string[] = [];
  const { requests, cost, cpu, latency, bundles, storms } = results;
  if (results.rounds !== undefined) {
    lines.push(
      `Rounds: each timed section (CPU, latency, batches, load time) and the cost ran ${results.rounds} times; each figure is the median of rounds, each ratio the median of ` +
        'the rounds\' ratios with their range in brackets (no range: every round gave the same). Requests, bundle sizes and the storm ran once.',
      '',
    );
  }
  if (requests) {
    lines.push('Requests per scenario (counted by a middleware on each SDK client, every attempt):', '');
    for (const library of ['retry-safe', 'powertools'] as const) {
      const ops = Object.entries(requests[library].operations).map(([scenario, op]) => `${scenario}: ${op}`);
      lines.push(`- ${library}: ${ops.join('; ')}. Record at rest: ${requests[library].attributesAtRest.join(', ')}.`);
    }
    lines.push('');
  }
  if (cost) lines.push(...costDetails(cost.rounds));
  if (cpu) {
    const bare = medianOf(cpu.rounds, (r) => r.bareMiddy.median);
    const withoutMiddy = (scenario: keyof CpuFigures) =>
      spreadText(
        spread(
          cpu.rounds.map((r) =>
            ratio(
              r.libraries['retry-safe'][scenario].median - r.bareMiddy.median,
              r.libraries.powertools[scenario].median - r.bareMiddy.median,
            ),
          ),
        ),
      );
    lines.push(
      `Library CPU: ${cpu.calls} measured calls per library, scenario and round after a warm-up, blocks interleaved, each call with its own context object as in Lambda; ` +
        `the time inside the in-process \`send\` is subtracted. Both run under Middy; a bare Middy handler ` +
        `takes ${us(bare)} (median) of each figure. Without it, the median ratios are ` +
        `${withoutMiddy('firstExecution')} (first execution) and ${withoutMiddy('replay')} (replay).`,
      '',
    );
    const metric = (which: 'off' | 'on', scenario: keyof CpuFigures) => medianOf(cpu.rounds, (r) => r.metrics[which][scenario].median);
    const added = (scenario: keyof CpuFigures) =>
      `${us(metric('off', scenario))} → ${us(metric('on', scenario))} (${us(metric('on', scenario) - metric('off', scenario))} added)`;
    lines.push(
      `Metrics overhead (retry-safe alone, \`onOutcome: emfMetrics(...)\` off → on, medians, interleaved as above): first execution ` +
        `${added('firstExecution')}, replay ${added('replay')}; each call builds a ${cpu.rounds[0].metrics.lineBytes}-byte EMF line, handed to a ` +
        `counting sink (writing it to stdout is Lambda's log pipeline's cost, not measured).`,
      '',
    );
  }
  if (latency) {
    const floor = (which: 'barePutItem' | 'bareTwoPutItems' | 'bareRejectedPutItem', stat: keyof Summary) =>
      ms(medianOf(latency.rounds, (r) => r[which][stat]));
    lines.push(
      `Latency: ${latency.calls} calls per library, scenario and round, interleaved, each library with its own SDK client (as each function has). ` +
        `Floors, bare Middy handlers without idempotency interleaved with them on a client of their own: one PutItem, median ` +
        `${floor('barePutItem', 'median')}, p95 ${floor('barePutItem', 'p95')}; two PutItems one after the other, median ` +
        `${floor('bareTwoPutItems', 'median')}, p95 ${floor('bareTwoPutItems', 'p95')}; one PutItem rejected by its condition on an ` +
        `existing item, returning it (\`ALL_OLD\`), as a replay's is, median ${floor('bareRejectedPutItem', 'median')}, p95 ` +
        `${floor('bareRejectedPutItem', 'p95')}. A library's first execution makes two round trips and its replay one, so its time ` +
        'over the floor is its own (CPU, the bigger requests and answers it sends), except what a rejected write costs more than a ' +
        'successful one: DynamoDB Local answering with an error, and the SDK parsing it, which the last floor measures.',
      '',
    );
  }
  if (bundles) lines.push(...bundleDetails(bundles));
  if (results.batches) {
    lines.push(
      `SQS batches: ${results.batches.runs} runs per library and round, interleaved, each library with its own client and table; ` +
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

/** The cost table per library (units, requests, commands), and where DynamoDB Local billed otherwise than AWS documents. */
function costDetails(rounds: readonly Record<Library, CostFigures>[]): string[] {
  // Capacity is deterministic: the last round stands for all (the table shows any spread).
  const last = rounds[rounds.length - 1];
  const lines = [
    `Cost per call: each library's client asks for \`ReturnConsumedCapacity: TOTAL\` on every command, and a meter on it bills each ` +
      'command by AWS\'s documented rules from the items themselves, read before and after with a client it does not count: a write ' +
      'the larger of the item before and after, 1 WCU per KB; a failed conditional write the item in its way (at least 1 WCU); a read ' +
      '1 RCU per 4 KB strongly consistent, half eventually consistent. Cost is what on-demand pricing charges, in read units: ' +
      `${WRITE_TO_READ_PRICE} × WCU + RCU. Each result's JSON: ${(Object.keys(COST_RESULTS) as CostResult[])
        .map((name) => `${COST_RESULTS[name].label}: ${last['retry-safe'].resultBytes[name]} bytes`)
        .join('; ')}. The order is built from word lists by a seeded PRNG (customer, two addresses, line items with sku, name, ` +
      'quantity, price and tax); the base64 string, of seeded random bytes, carries 6 bits per character, so even ideal compression leaves 75% of it.',
    '',
    '| result | call | library | WCU | RCU | cost | requests | commands |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const name of Object.keys(COST_RESULTS) as CostResult[]) {
    for (const call of ['firstExecution', 'replay'] as const) {
      for (const library of ['retry-safe', 'powertools'] as const) {
        const c = last[library].scenarios[name][call];
        const label = call === 'firstExecution' ? 'first execution' : 'replay';
        lines.push(
          `| ${COST_RESULTS[name].label} | ${label} | ${library} | ${units(c.wcu)} | ${units(c.rcu)} | ${units(c.cost)} | ${c.requests} | ${c.operations} |`,
        );
      }
    }
  }
  lines.push('');
  const deviations = new Map<string, number>();
  for (const round of rounds) {
    for (const library of ['retry-safe', 'powertools'] as const) {
      for (const d of round[library].deviations) {
        const kind = d.detail.startsWith('conditional')
          ? `${d.operation}, conditional check failed: Local reports no capacity (the error carries none); billed here for the existing item's size, at least 1 WCU`
          : `${d.operation} (${d.detail}): Local reported ${d.reported ?? 'nothing'}, the documented rule gives ${units(d.documented)}`;
        deviations.set(kind, (deviations.get(kind) ?? 0) + 1);
      }
    }
  }
  const checked = rounds.reduce((sum, r) => sum + r['retry-safe'].commandsMetered + r.powertools.commandsMetered, 0);
  const differing = [...deviations.values()].reduce((sum, n) => sum + n, 0);
  lines.push(
    `DynamoDB Local against the documented rules: ${checked - differing} of ${checked} commands reported what the rules give; ` +
      (deviations.size === 0 ? 'none differed.' : `the others, billed here by the rules: ${[...deviations].map(([kind, n]) => `${kind} (${n}×)`).join('; ')}.`),
    '',
  );
  const replayed = (['order', 'random'] as const).filter((name) => {
    const replay = last['retry-safe'].scenarios[name].replay;
    return replay.operations === 'PutItem' && replay.wcu > 1;
  });
  if (replayed.length > 0) {
    lines.push(
      `Why a large result's replay costs what it does here: retry-safe replays with one conditional PutItem that fails on the stored ` +
        `record, and DynamoDB bills a failed conditional write for the size of the item in its way, so while the result is stored inline ` +
        `the replay costs ${replayed.map((name) => `${units(last['retry-safe'].scenarios[name].replay.wcu)} WCU (result ${COST_RESULTS[name].label})`).join(' and ')}, ` +
        'about the compressed result\'s size in KB.',
      '',
    );
  }
  return lines;
}

/** Bundle sizes, load times, and the table of what each optional feature adds. */
function bundleDetails(bundles: NonNullable<BenchResults['bundles']>): string[] {
  const load = (which: keyof LoadFigures, name: 'retry-safe' | 'powertools' | 'reference') => ms(medianOf(bundles.load, (l) => l[which][name].median));
  const base = bundles.sizes['retry-safe'];
  const lines = [
    `Bundles: esbuild, minified ESM, Node 20, \`@aws-sdk/*\` external. Reference handler (Middy and one PutItem): ` +
      `${kb(bundles.sizes.reference.bytes)}. Load (import in a fresh node, median of ${bundles.runs} per round, median of rounds): ` +
      `retry-safe ${load('loadMs', 'retry-safe')}, Powertools ${load('loadMs', 'powertools')}, reference ${load('loadMs', 'reference')}; ` +
      `CPU: ${load('loadCpuMs', 'retry-safe')}, ${load('loadCpuMs', 'powertools')}, ${load('loadCpuMs', 'reference')}. ` +
      'Each process loads `@aws-sdk/client-dynamodb` before the clock starts, as all three import it.',
    `retry-safe modules in its bundle, minified bytes each: ${base.ownBytes.map(([input, bytes]) => `${input} ${bytes}`).join(', ')}; ` +
      `\`@middy/core\` adds ${base.middyBytes} to each Middy handler.`,
    '',
    `What each optional feature adds to the middleware-only handler (${kb(base.bytes)}, ${kb(base.gzipBytes)} gzip) when it is used ` +
      '(`bench/entries/feature-*.ts`: the same handler with the option, or beside it a second handler using the adapter). Unused, each ' +
      'adds nothing: `test/lambda/tree-shaking.test.ts` checks that none of its modules reaches the middleware-only bundle.',
    '',
    '| feature | used as | adds, minified | adds, gzip | its modules kept |',
    '| --- | --- | ---: | ---: | --- |',
  ];
  const usedAs: Record<(typeof FEATURE_BUNDLES)[number], string> = {
    http: '`httpIdempotency()` handler',
    steps: 'one `step()` in the handler',
    batch: '`makeIdempotentBatch()` handler',
    webhooks: '`webhookIdempotency()` + `githubWebhooks()`',
    metrics: '`onOutcome: emfMetrics()`',
    cache: '`cache: new RecordCache()`',
  };
  for (const feature of FEATURE_BUNDLES) {
    const size = bundles.features[feature];
    const added = size.ownInputs.filter((input) => !base.ownInputs.includes(input));
    lines.push(
      `| ${feature} | ${usedAs[feature]} | ${kb(size.bytes - base.bytes)} | ${kb(size.gzipBytes - base.gzipBytes)} | ${added.join(', ') || 'none'} |`,
    );
  }
  lines.push('');
  return lines;
}
