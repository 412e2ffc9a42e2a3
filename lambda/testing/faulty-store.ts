import { IdempotencyError, IdempotencyStoreError } from '../core/errors.js';
import type { EncodedResult } from '../core/result-codec.js';
import type { ClaimRecord, ClaimResult, CompletionRecord, IdempotencyStore } from '../core/store.js';
import { stepStoreFor, type StepRecord, type StepStore, type StepWriteResult } from '../steps/step-store.js';
import { stepRecordId } from '../steps/step.js';
import { currentAttempt } from './attempt-scope.js';

/** A store method a fault can strike. */
export type StoreOperation =
  | 'claim'
  | 'complete'
  | 'release'
  | 'readResult'
  | 'readStep'
  | 'startStep'
  | 'recordStep'
  | 'finishStep'
  | 'extendStep';

/** The store methods that write. */
export const WRITE_OPERATIONS: readonly StoreOperation[] = [
  'claim',
  'complete',
  'release',
  'startStep',
  'recordStep',
  'finishStep',
  'extendStep',
];

/**
 * What a fault does to a call:
 * - `throttle`: fails as DynamoDB does when throttled after the SDK's retries
 *   (`IdempotencyStoreError`, cause named `ProvisionedThroughputExceededException`);
 * - `timeout`: fails as a request that timed out (`IdempotencyStoreError`, cause named
 *   `TimeoutError`); `when: 'after'` is a write that landed and whose response was lost;
 * - `crash`: never settles, as if the process died at that moment: no `catch`, no `finally`,
 *   no release, no completion; only a lapsed lease lets a retry take over;
 * - `pause`: waits until {@link InjectedFault.resume}, then goes on: a slow invocation.
 */
export type FaultKind = 'throttle' | 'timeout' | 'crash' | 'pause';

/** One fault to inject: which calls it strikes, how, and when. */
export interface Fault {
  /** The store method it strikes. */
  readonly operation: StoreOperation;
  /** What it does (see {@link FaultKind}). */
  readonly kind: FaultKind;
  /**
   * Before the call reaches the wrapped store (nothing is written), or after it returned (the
   * write landed, its answer is lost or late).
   * @default 'before'
   */
  readonly when?: 'before' | 'after';
  /**
   * Matching calls to let through before the first strike: `skip: 2` strikes the third.
   * @default 0
   */
  readonly skip?: number;
  /**
   * How many matching calls it strikes, one after another. The engine retries a failed
   * completion and a failed step record three times: `times: 4` makes the write lost for good.
   * @default 1
   */
  readonly times?: number;
  /**
   * Only calls for records whose id passes this test (ids are `name#hash`, steps `name#hash#step#hash`).
   * @default - every record
   */
  readonly id?: (id: string) => boolean;
}

/** A fault once injected: how often it struck, and the handles a test waits on. */
export interface InjectedFault {
  readonly fault: Fault;
  /** How many calls it has struck so far. */
  readonly struck: number;
  /** Settles when it first strikes. */
  readonly reached: Promise<void>;
  /** Lets paused calls go on (and later strikes of a `pause` pass at once). */
  resume(): void;
  /** Unschedules it: calls from now on pass it by (paused ones stay paused until `resume()`). */
  cancel(): void;
}

/** One call the store received, in order, for assertions and for finding crash points. */
export interface StoreCall {
  readonly operation: StoreOperation;
  /** The record's id. */
  readonly id: string;
  /** The simulated attempt that made it (see `simulateRetries`), if any. */
  readonly attempt?: number;
  /** The fault that struck it, if any. */
  readonly fault?: FaultKind;
  /** For a claim that got an answer: whether it was this invocation's. */
  readonly claimed?: boolean;
}

/**
 * A test for `Fault.id` that picks the records of the step named `name` (in any execution).
 * @example
 * store.inject({ operation: 'recordStep', kind: 'throttle', times: 4, id: stepRecordOf('charge') });
 */
export function stepRecordOf(name: string): (id: string) => boolean {
  const suffix = stepRecordId('', name);
  return (id) => id.endsWith(suffix);
}

const OPERATION_NAMES: Record<StoreOperation, string> = {
  claim: 'claim',
  complete: 'complete',
  release: 'release',
  readResult: 'read of the stored result',
  readStep: 'step read',
  startStep: 'step start',
  recordStep: 'step record',
  finishStep: 'step finish',
  extendStep: 'step extend',
};

interface Armed {
  readonly fault: Fault;
  seen: number;
  struck: number;
  resumed: boolean;
  readonly waiting: (() => void)[];
  readonly reach: () => void;
}

/**
 * Wraps a store (an `InMemoryStore`, or a `DynamoDBStore` in an integration test) and injects
 * faults on a schedule: throttling, timeouts, a write whose response is lost, a crash, a pause.
 * Pass the wrapper as the handler's `store`. Calls without a fault go to the wrapped store as
 * they are; step calls go to its step store.
 *
 * @example
 * const store = new FaultyStore(new InMemoryStore());
 * // The completion lands, its answer is lost: the engine's retry must learn it landed.
 * store.inject({ operation: 'complete', kind: 'timeout', when: 'after' });
 */
export class FaultyStore<TStore extends IdempotencyStore = IdempotencyStore> implements IdempotencyStore, StepStore {
  /** The store calls go to. */
  readonly inner: TStore;
  /** Every call received, in order. */
  readonly calls: StoreCall[] = [];
  private readonly armed: Armed[] = [];
  private steps: StepStore | undefined;

  constructor(inner: TStore) {
    if (typeof inner?.claim !== 'function') {
      throw new IdempotencyError('FaultyStore needs a store to wrap, e.g. new FaultyStore(new InMemoryStore())');
    }
    this.inner = inner;
  }

  /** Schedules `fault`; it strikes the matching calls made from now on. */
  inject(fault: Fault): InjectedFault {
    validateFault(fault);
    let reach = () => undefined as void;
    const reached = new Promise<void>((resolve) => (reach = resolve));
    const armed: Armed = { fault, seen: 0, struck: 0, resumed: false, waiting: [], reach };
    this.armed.push(armed);
    return {
      fault,
      get struck() {
        return armed.struck;
      },
      reached,
      resume() {
        armed.resumed = true;
        for (const go of armed.waiting.splice(0)) go();
      },
      cancel: () => {
        const index = this.armed.indexOf(armed);
        if (index >= 0) this.armed.splice(index, 1);
      },
    };
  }

  /** Removes every scheduled fault; paused calls stay paused until their fault's `resume()`. */
  clearFaults(): void {
    this.armed.length = 0;
  }

  claim(record: ClaimRecord, nowMs: number): Promise<ClaimResult> {
    return this.call('claim', record.id, () => this.inner.claim(record, nowMs), (answer) =>
      answer.claimed || answer.existing?.owner === record.owner,
    );
  }

  complete(record: CompletionRecord, owner: string): Promise<boolean> {
    return this.call('complete', record.id, () => this.inner.complete(record, owner));
  }

  release(id: string, owner: string): Promise<boolean> {
    return this.call('release', id, () => this.inner.release(id, owner));
  }

  readResult(ref: string): Promise<EncodedResult> {
    return this.call('readResult', ref, () => {
      if (!this.inner.readResult) throw new IdempotencyError('the wrapped store keeps no result apart: it has no readResult');
      return this.inner.readResult(ref);
    });
  }

  readStep(id: string): Promise<StepRecord | undefined> {
    return this.call('readStep', id, () => this.stepStore().readStep(id));
  }

  startStep(record: StepRecord, nowMs: number): Promise<StepWriteResult> {
    return this.call('startStep', record.id, () => this.stepStore().startStep(record, nowMs));
  }

  recordStep(record: StepRecord, nowMs: number): Promise<StepWriteResult> {
    return this.call('recordStep', record.id, () => this.stepStore().recordStep(record, nowMs));
  }

  finishStep(record: StepRecord, owner: string): Promise<boolean> {
    return this.call('finishStep', record.id, () => this.stepStore().finishStep(record, owner));
  }

  extendStep(id: string, expiresAtSeconds: number): Promise<void> {
    return this.call('extendStep', id, () => this.stepStore().extendStep(id, expiresAtSeconds));
  }

  private stepStore(): StepStore {
    this.steps ??= stepStoreFor(this.inner);
    return this.steps;
  }

  private async call<T>(
    operation: StoreOperation,
    id: string,
    send: () => Promise<T>,
    isClaimed?: (answer: T) => boolean,
  ): Promise<T> {
    const attempt = currentAttempt();
    const armed = this.strikeFor(operation, id);
    const log = (extra: Partial<StoreCall>) =>
      this.calls.push({ operation, id, ...(attempt !== undefined && { attempt }), ...extra });
    const before = armed && (armed.fault.when ?? 'before') === 'before' ? armed : undefined;
    if (before && before.fault.kind !== 'pause') {
      log({ fault: before.fault.kind });
      await strike(before, operation); // throws, or never settles
    }
    // A pause returns once resumed: then the call goes through.
    if (before) await strike(before, operation);
    const answer = await send();
    log({ ...(armed && { fault: armed.fault.kind }), ...(isClaimed && { claimed: isClaimed(answer) }) });
    if (armed && !before) await strike(armed, operation);
    return answer;
  }

  /** The armed fault this call is the turn of, counted as struck; `undefined` if none. */
  private strikeFor(operation: StoreOperation, id: string): Armed | undefined {
    for (const armed of this.armed) {
      const { fault } = armed;
      if (fault.operation !== operation || (fault.id && !fault.id(id))) continue;
      if (armed.struck >= (fault.times ?? 1)) continue;
      armed.seen += 1;
      if (armed.seen <= (fault.skip ?? 0)) continue;
      armed.struck += 1;
      return armed;
    }
    return undefined;
  }
}

/** Does what the fault's kind does: throws, never settles, or waits to be resumed. */
async function strike(armed: Armed, operation: StoreOperation): Promise<void> {
  armed.reach();
  switch (armed.fault.kind) {
    case 'throttle':
      throw new IdempotencyStoreError(OPERATION_NAMES[operation], {
        cause: namedError('ProvisionedThroughputExceededException', 'throttled (injected by FaultyStore)'),
      });
    case 'timeout':
      throw new IdempotencyStoreError(OPERATION_NAMES[operation], {
        cause: namedError('TimeoutError', 'request timed out (injected by FaultyStore)'),
      });
    case 'crash':
      // Never settles and holds no timer: the invocation is parked for good, as a dead one is.
      return new Promise<never>(() => undefined);
    case 'pause':
      if (armed.resumed) return;
      return new Promise<void>((resolve) => armed.waiting.push(resolve));
  }
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function validateFault(fault: Fault): void {
  if (!fault || !Object.hasOwn(OPERATION_NAMES, fault.operation)) {
    throw new IdempotencyError(`fault.operation must be one of ${Object.keys(OPERATION_NAMES).join(', ')}, got ${JSON.stringify(fault?.operation)}`);
  }
  if (!['throttle', 'timeout', 'crash', 'pause'].includes(fault.kind)) {
    throw new IdempotencyError(`fault.kind must be throttle, timeout, crash or pause, got ${JSON.stringify(fault.kind)}`);
  }
  if (fault.when !== undefined && fault.when !== 'before' && fault.when !== 'after') {
    throw new IdempotencyError(`fault.when must be 'before' or 'after', got ${JSON.stringify(fault.when)}`);
  }
  for (const [name, value, least] of [['skip', fault.skip, 0], ['times', fault.times, 1]] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < least)) {
      throw new IdempotencyError(`fault.${name} must be a whole number of at least ${least}, got ${value}`);
    }
  }
}
