import type { LambdaContext } from '../core/lambda-types.js';
import { IdempotencyError } from '../core/errors.js';
import { currentAttempt, runAsAttempt } from './attempt-scope.js';
import { FaultyStore, stepRecordOf, WRITE_OPERATIONS, type StoreCall, type StoreOperation } from './faulty-store.js';
import type { InMemoryStore } from './in-memory-store.js';

/** A wrapped handler as the platform calls it: `makeIdempotent(...)`, or a Middy handler. */
export type SimulatedHandler<TEvent, TResult, TContext extends LambdaContext = LambdaContext> = (
  event: TEvent,
  context: TContext,
) => Promise<TResult>;

/**
 * A moment in an attempt to crash (or pause) at: just before, or just after, the `nth` call of a
 * store method. Store writes are where an attempt's progress becomes visible to a retry, so a
 * crash just before or after each one covers every state a retry can find.
 */
export interface CrashPoint {
  /** The store method. */
  readonly operation: StoreOperation;
  /**
   * Which call of it within the attempt, counting from 1.
   * @default 1
   */
  readonly nth?: number;
  /** Just before the call is made (it is not), or just after it landed (its answer never arrives). */
  readonly when: 'before' | 'after';
  /**
   * Names the point in reports and test titles.
   * @default - a description built from the other fields
   */
  readonly label?: string;
}

/** Options for {@link simulateRetries}. */
export interface SimulateRetriesOptions<TContext extends LambdaContext = LambdaContext> {
  /**
   * The store the handler was wrapped with: a `FaultyStore` over an `InMemoryStore`, so the
   * simulation can crash or pause an attempt and let its lease lapse on the store's clock.
   */
  readonly store: FaultyStore<InMemoryStore>;
  /**
   * How many times the event is delivered in all, a crashed or paused first attempt included.
   * @default 2
   */
  readonly attempts?: number;
  /**
   * Deliver the attempts at once (duplicates racing) rather than one after another. With
   * `crash` or `pause`, the attempts after the first are the ones that race.
   * @default false
   */
  readonly concurrent?: boolean;
  /**
   * Crash the first attempt here: it never finishes, and nothing it would do next happens. Its
   * lease then lapses (the store's clock moves on) before the other attempts are delivered.
   * @default - no crash
   */
  readonly crash?: CrashPoint;
  /**
   * Pause the first attempt here while its lease lapses and the other attempts run, then let
   * it finish: a slow invocation whose claim another one took over.
   * @default - no pause
   */
  readonly pause?: CrashPoint;
  /**
   * Step names, to name crash points by step (`after step "charge" ran, before its record`).
   * @default - steps named by their position
   */
  readonly stepNames?: readonly string[];
  /**
   * The Lambda context each attempt's handler gets (`attempt` counts from 1).
   * @default - a context named `simulated-function` without `getRemainingTimeInMillis`, as after
   *   a process death no timer fires: Middy sets no timeout, and a claim's lease is Lambda's
   *   longest (15 minutes and a margin), which the simulation lets lapse on the store's clock
   */
  readonly context?: (attempt: number) => TContext;
}

/** What one delivery of the event came to. */
export type AttemptOutcome<TResult> = {
  /** Which delivery, counting from 1. */
  readonly attempt: number;
  /** Whether its claim succeeded, so its handler ran (else it was answered from the record, or refused). */
  readonly ran: boolean;
  /** The store calls it made, in order. */
  readonly calls: readonly StoreCall[];
} & (
  | { readonly status: 'returned'; readonly value: TResult }
  | { readonly status: 'threw'; readonly error: unknown }
  | { readonly status: 'crashed'; readonly at: string }
);

/** What a simulation saw, attempt by attempt. */
export interface SimulationReport<TResult> {
  /** Every delivery, in delivery order. */
  readonly attempts: readonly AttemptOutcome<TResult>[];
  /** How many deliveries ran the handler. */
  readonly runs: number;
  /**
   * Where the first attempt could crash, found from its store writes when it finished without a
   * fault: each is a `crash` for another simulation on a fresh store.
   */
  readonly crashPoints: readonly CrashPoint[];
}

// Without a Lambda runtime the engine would read a function name from the context: give it one.
const SIMULATED_FUNCTION = 'simulated-function';

/**
 * Delivers `event` to `handler` the way the platform retries: one after another, as racing
 * duplicates, after a crash at a chosen point, or while a slow first attempt's lease lapses.
 * Reports each attempt's outcome; assert on your own fakes that each side effect happened once.
 * Test-runner agnostic: no timers, no fake clocks, nothing global.
 *
 * @example
 * const store = new FaultyStore(new InMemoryStore());
 * const handler = makeIdempotent((event: Order) => charge(event), { store, name: 'charge' });
 * const report = await simulateRetries(handler, order, { store, crash: { operation: 'complete', when: 'before' } });
 * expect(report.attempts[1]).toMatchObject({ status: 'returned', ran: true });
 * expect(payments.charges).toHaveLength(1);
 */
export async function simulateRetries<TEvent, TResult, TContext extends LambdaContext = LambdaContext>(
  handler: SimulatedHandler<TEvent, TResult, TContext>,
  event: TEvent,
  options: SimulateRetriesOptions<TContext>,
): Promise<SimulationReport<TResult>> {
  const { store } = validate(options);
  const attempts = options.attempts ?? 2;
  // The default context lacks getRemainingTimeInMillis on purpose (see `context`): a handler typed
  // with a fuller context type reads only what a Lambda context always has.
  const contextFor = options.context ?? (simulatedContext as (attempt: number) => TContext);
  const deliver = (attempt: number) => runAsAttempt(attempt, () => settle(() => handler(event, contextFor(attempt))));
  // This simulation's calls only: a store may have served others before.
  const firstCall = store.calls.length;
  const calls = () => store.calls.slice(firstCall);
  const outcomes: AttemptOutcome<TResult>[] = [];
  const interrupt = options.crash ?? options.pause;

  let resumeFirst: (() => Promise<void>) | undefined;
  let rest = 1;
  if (interrupt) {
    rest = 2;
    const label = labelOf(interrupt, options.stepNames);
    const fault = store.inject({
      operation: interrupt.operation,
      kind: options.crash ? 'crash' : 'pause',
      when: interrupt.when,
      skip: (interrupt.nth ?? 1) - 1,
      id: isFirstAttempt,
    });
    const first = deliver(1);
    const reached = await Promise.race([fault.reached.then(() => true), first.then(() => false)]);
    if (!reached) {
      fault.cancel();
      throw new IdempotencyError(
        `the first attempt finished without reaching the crash point "${label}": pick one from a clean run's crashPoints`,
      );
    }
    store.inner.lapseLeases();
    if (options.crash) {
      outcomes.push({ attempt: 1, status: 'crashed', at: label, ran: ranIn(calls(), 1), calls: callsOf(calls(), 1) });
    } else {
      resumeFirst = async () => {
        fault.resume();
        outcomes.push(outcomeOf(1, await first, calls()));
      };
    }
  }

  const later = Array.from({ length: Math.max(0, attempts - rest + 1) }, (_, index) => rest + index);
  if (options.concurrent) {
    const settled = await Promise.all(later.map(deliver));
    later.forEach((attempt, index) => outcomes.push(outcomeOf(attempt, settled[index], calls())));
  } else {
    for (const attempt of later) outcomes.push(outcomeOf(attempt, await deliver(attempt), calls()));
  }
  await resumeFirst?.();
  outcomes.sort((a, b) => a.attempt - b.attempt);
  return {
    attempts: outcomes,
    runs: outcomes.filter((outcome) => outcome.ran).length,
    crashPoints: interrupt ? [] : crashPointsOf(callsOf(calls(), 1), options.stepNames),
  };
}

/** A fresh world for one simulation: the wrapped handler, its store, and whatever fakes you check. */
export interface SimulatedWorld<TEvent, TResult, TContext extends LambdaContext = LambdaContext> {
  readonly handler: SimulatedHandler<TEvent, TResult, TContext>;
  readonly store: FaultyStore<InMemoryStore>;
}

/** The context type a world's handler is written for (a Middy handler's `Context`, say). */
export type ContextOf<TWorld> = TWorld extends { readonly handler: (event: never, context: infer C) => unknown }
  ? C extends LambdaContext
    ? C
    : LambdaContext
  : LambdaContext;

/** One crash point's simulation, with the world it ran in. */
export interface CrashSimulation<TResult, TWorld> {
  readonly point: CrashPoint & { readonly label: string };
  readonly report: SimulationReport<TResult>;
  readonly world: TWorld;
}

/**
 * The crash-at-every-point proof: runs `event` once cleanly to find every crash point, then,
 * for each, builds a fresh world with `setup`, crashes the first attempt there, lets its lease
 * lapse and delivers the event again. Returns the clean run and every crash's report with its
 * world, for asserting that each side effect happened once and the answer is the clean one.
 *
 * @param options as for {@link simulateRetries}, less `store` (each world brings its own) and `crash`
 * @example
 * const { crashes } = await simulateCrashes(() => newWorld(), order);
 * for (const { point, world } of crashes) expect(world.payments.charges, point.label).toHaveLength(1);
 */
export async function simulateCrashes<TEvent, TResult, TWorld extends SimulatedWorld<TEvent, TResult, never>>(
  setup: () => TWorld | Promise<TWorld>,
  event: TEvent,
  options: Omit<SimulateRetriesOptions<ContextOf<TWorld>>, 'store' | 'crash' | 'pause'> = {},
): Promise<{
  readonly clean: { readonly report: SimulationReport<TResult>; readonly world: TWorld };
  readonly crashes: readonly CrashSimulation<TResult, TWorld>[];
}> {
  // Each world's handler takes the context type it was written for: `options.context` makes one.
  const handlerOf = (world: TWorld) => world.handler as unknown as SimulatedHandler<TEvent, TResult, ContextOf<TWorld>>;
  const world = await setup();
  const report = await simulateRetries(handlerOf(world), event, { ...options, store: world.store, attempts: 1, concurrent: false });
  const crashes: CrashSimulation<TResult, TWorld>[] = [];
  for (const point of report.crashPoints) {
    const crashed = await setup();
    const label = labelOf(point, options.stepNames);
    const crashReport = await simulateRetries(handlerOf(crashed), event, { ...options, store: crashed.store, crash: point });
    crashes.push({ point: { ...point, label }, report: crashReport, world: crashed });
  }
  return { clean: { report, world }, crashes };
}

/**
 * Every point a crash could interrupt an attempt that made these store calls: just before and
 * just after each write, except before the claim (nothing has happened yet).
 */
export function crashPointsOf(calls: readonly StoreCall[], stepNames?: readonly string[]): CrashPoint[] {
  const seen = new Map<StoreOperation, number>();
  const points: CrashPoint[] = [];
  for (const call of calls) {
    if (!WRITE_OPERATIONS.includes(call.operation) || call.fault) continue;
    const nth = (seen.get(call.operation) ?? 0) + 1;
    seen.set(call.operation, nth);
    for (const when of ['before', 'after'] as const) {
      if (call.operation === 'claim' && when === 'before') continue;
      const point = { operation: call.operation, nth, when };
      points.push({ ...point, label: labelOf(point, stepNames, call.id) });
    }
  }
  return points;
}

type Settled<T> = { readonly status: 'returned'; readonly value: T } | { readonly status: 'threw'; readonly error: unknown };

async function settle<T>(run: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { status: 'returned', value: await run() };
  } catch (error) {
    return { status: 'threw', error };
  }
}

function outcomeOf<T>(attempt: number, settled: Settled<T>, calls: readonly StoreCall[]): AttemptOutcome<T> {
  return { attempt, ran: ranIn(calls, attempt), calls: callsOf(calls, attempt), ...settled };
}

function callsOf(calls: readonly StoreCall[], attempt: number): StoreCall[] {
  return calls.filter((call) => call.attempt === attempt);
}

function ranIn(calls: readonly StoreCall[], attempt: number): boolean {
  return calls.some((call) => call.attempt === attempt && call.operation === 'claim' && call.claimed === true);
}

/** A simulation's fault strikes its first attempt only (the test runs inside the calling attempt). */
function isFirstAttempt(): boolean {
  return currentAttempt() === 1;
}

function simulatedContext(attempt: number): LambdaContext {
  return {
    functionName: SIMULATED_FUNCTION,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${SIMULATED_FUNCTION}`,
    memoryLimitInMB: '128',
    awsRequestId: `simulated-attempt-${attempt}`,
    logGroupName: `/aws/lambda/${SIMULATED_FUNCTION}`,
    logStreamName: 'simulated',
  } as Omit<LambdaContext, 'getRemainingTimeInMillis'> as LambdaContext;
}

function validate<TContext extends LambdaContext>(options: SimulateRetriesOptions<TContext>): SimulateRetriesOptions<TContext> {
  if (!(options?.store instanceof FaultyStore) || typeof options.store.inner?.lapseLeases !== 'function') {
    throw new IdempotencyError(
      'simulateRetries needs { store }: the FaultyStore over an InMemoryStore that the handler was wrapped with',
    );
  }
  const attempts = options.attempts ?? 2;
  const least = options.crash || options.pause ? 2 : 1;
  if (!Number.isInteger(attempts) || attempts < least) {
    throw new IdempotencyError(`options.attempts must be a whole number of at least ${least}, got ${attempts}`);
  }
  if (options.crash && options.pause) {
    throw new IdempotencyError('pass options.crash or options.pause, not both: the first attempt either dies or goes on');
  }
  const nth = (options.crash ?? options.pause)?.nth;
  if (nth !== undefined && (!Number.isInteger(nth) || nth < 1)) {
    throw new IdempotencyError(`the crash point's nth must be a whole number of at least 1, got ${nth}`);
  }
  return options;
}

/** A crash point in words: which step, and which side of its write. */
function labelOf(point: CrashPoint, stepNames: readonly string[] | undefined, id?: string): string {
  if (point.label) return point.label;
  const nth = point.nth ?? 1;
  const name = id && stepNames?.find((candidate) => stepRecordOf(candidate)(id));
  const step = name ? `step "${name}"` : `step #${nth}`;
  const after = point.when === 'after';
  switch (point.operation) {
    case 'claim':
      return 'after the claim, before the handler did anything';
    case 'recordStep':
      return after ? `after ${step} was recorded` : `after ${step} ran, before its record`;
    case 'startStep':
      return after ? `after ${step} was started, before it ran` : `before ${step} was started`;
    case 'finishStep':
      return after ? `after ${step} finished` : `after ${step} ran, before its outcome was written`;
    case 'complete':
      return after ? 'after the completion write, before the response' : 'after the handler returned, before the completion write';
    case 'release':
      return after ? 'after the release of a failed run' : 'after the handler failed, before its release';
    default:
      return `${point.when} ${point.operation} #${nth}`;
  }
}
