import middy from '@middy/core';
import { localClient } from '../scripts/dynamodb-local.js';
import { emfMetrics } from '../lambda/ops/emf-metrics.js';
import {
  benchContext,
  capture,
  contender,
  LIBRARIES,
  paymentEvent,
  type BenchHandler,
  type ContenderOptions,
  type Library,
} from './contenders.js';
import { FakeDynamoDB } from './fake-dynamodb.js';
import { summarize, type Summary } from './stats.js';

/** Library time per call, in microseconds, with DynamoDB answered in-process. */
export interface CpuFigures {
  readonly firstExecution: Summary;
  readonly replay: Summary;
}

/** How many calls to make. */
export interface CpuOptions {
  /** Measured calls per library and scenario. */
  readonly calls: number;
  /** Unmeasured calls first, so the JIT has compiled the hot paths. */
  readonly warmupCalls: number;
  /** Calls per block; the libraries alternate block by block, so both see the same noise. */
  readonly blockSize: number;
}

interface Subject {
  readonly handler: BenchHandler;
  readonly fake: FakeDynamoDB;
  readonly first: number[];
  readonly replay: number[];
  keys: number;
}

function subject(library: Library, extra: Partial<ContenderOptions> = {}): Subject {
  const fake = new FakeDynamoDB();
  // A real client (its middleware stack is part of what a library may touch), never sending.
  const client = localClient('http://127.0.0.1:9');
  fake.install(client);
  return { handler: contender(library, { client, tableName: `cpu-${library}`, ...extra }), fake, first: [], replay: [], keys: 0 };
}

/** Microseconds of one call, minus the time the fake spent answering it. */
async function timeCall(s: Subject, call: () => Promise<unknown>): Promise<number> {
  s.fake.resetClock();
  const started = process.hrtime.bigint();
  await call();
  const elapsed = process.hrtime.bigint() - started - s.fake.sendNs;
  return Number(elapsed) / 1000;
}

/** One block: `n` first executions on new keys, then a replay of each. */
async function block(s: Subject, library: Library, n: number, record: boolean): Promise<void> {
  const events = Array.from({ length: n }, () => paymentEvent(`${library}-${s.keys++}`));
  for (const event of events) {
    // A context object per invocation, made off the clock, as the Lambda runtime hands each its own.
    const context = benchContext();
    const us = await timeCall(s, () => s.handler(event, context));
    if (record) s.first.push(us);
  }
  // A replay receives an equal but distinct event, as a retried invocation would.
  const retries = events.map((e) => paymentEvent(e.paymentId));
  for (const event of retries) {
    const context = benchContext();
    const us = await timeCall(s, () => s.handler(event, context));
    if (record) s.replay.push(us);
  }
}

/** Measures both libraries, interleaved block by block. */
export async function measureCpu(options: CpuOptions): Promise<Record<Library, CpuFigures>> {
  const subjects = { 'retry-safe': subject('retry-safe'), powertools: subject('powertools') };
  for (const record of [false, true]) {
    const total = record ? options.calls : options.warmupCalls;
    for (let done = 0, turn = 0; done < total; done += options.blockSize, turn++) {
      const order = turn % 2 === 0 ? LIBRARIES : [...LIBRARIES].reverse();
      for (const library of order) await block(subjects[library], library, options.blockSize, record);
    }
  }
  const figures = (s: Subject): CpuFigures => ({ firstExecution: summarize(s.first), replay: summarize(s.replay) });
  return { 'retry-safe': figures(subjects['retry-safe']), powertools: figures(subjects.powertools) };
}

/** retry-safe's CPU per call without and with `onOutcome: emfMetrics(...)`. */
export interface MetricsOverhead {
  readonly off: CpuFigures;
  readonly on: CpuFigures;
  /** Bytes of EMF written per call (the lines are built and handed to a sink, not printed). */
  readonly lineBytes: number;
}

/**
 * retry-safe alone, metrics off against metrics on, interleaved block by block as in
 * {@link measureCpu}. The EMF lines are built in full and handed to a sink that only counts
 * them: the cost of writing to stdout is Lambda's log pipeline, not the library's.
 */
export async function measureMetricsOverhead(options: CpuOptions): Promise<MetricsOverhead> {
  let bytes = 0;
  let lines = 0;
  const sink = (line: string) => {
    bytes += line.length;
    lines += 1;
  };
  const off = subject('retry-safe');
  const on = subject('retry-safe', { onOutcome: emfMetrics({ namespace: 'Bench', write: sink }) });
  for (const record of [false, true]) {
    const total = record ? options.calls : options.warmupCalls;
    for (let done = 0, turn = 0; done < total; done += options.blockSize, turn++) {
      const order = turn % 2 === 0 ? [off, on] : [on, off];
      for (const s of order) await block(s, 'retry-safe', options.blockSize, record);
    }
  }
  const figures = (s: Subject): CpuFigures => ({ firstExecution: summarize(s.first), replay: summarize(s.replay) });
  return { off: figures(off), on: figures(on), lineBytes: lines === 0 ? 0 : Math.round(bytes / lines) };
}

/** The same measurement for a bare Middy handler: the floor both libraries stand on. */
export async function measureBareMiddy(calls: number): Promise<Summary> {
  const handler = middy(capture) as unknown as BenchHandler;
  const samples: number[] = [];
  for (let i = 0; i < calls * 2; i++) {
    const event = paymentEvent(`bare-${i}`);
    const context = benchContext();
    const started = process.hrtime.bigint();
    await handler(event, context);
    if (i >= calls) samples.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  return summarize(samples);
}
