import type { ClaimRecord, CompletionRecord, DynamoDBStore, IdempotencyStore } from '../../../lambda/index.js';
import { DynamoDBStepStore } from '../../../lambda/steps/dynamodb-step-store.js';
import type { StepRecord, StepStore } from '../../../lambda/steps/step-store.js';

/** The step-store writes a crash can be injected before: the moment the process dies. */
export type CrashPoint = 'recordStep' | 'finishStep' | 'startStep';

/**
 * A store over a real DynamoDB table that can "crash" the invocation at a chosen write: the
 * write never happens and never returns, as if the Lambda was killed mid-flight (no release,
 * no completion, nothing in `finally`). Everything else goes to DynamoDB Local.
 */
export class CrashingStore implements IdempotencyStore, StepStore {
  private readonly steps: DynamoDBStepStore;
  private crashes: { point: CrashPoint; id?: string }[] = [];
  /** How many times an injected crash fired. */
  crashed = 0;

  constructor(private readonly inner: DynamoDBStore) {
    this.steps = new DynamoDBStepStore({ client: inner.client, tableName: inner.tableName });
  }

  /** The next write at `point` (for the step record `id`, if given) hangs forever. */
  crashBefore(point: CrashPoint, id?: string): void {
    this.crashes.push({ point, id });
  }

  private hangIfCrashing(point: CrashPoint, id: string): Promise<never> | undefined {
    const index = this.crashes.findIndex((c) => c.point === point && (c.id === undefined || c.id === id));
    if (index < 0) return undefined;
    this.crashes.splice(index, 1);
    this.crashed += 1;
    return new Promise<never>(() => undefined);
  }

  claim(record: ClaimRecord, nowMs: number) {
    return this.inner.claim(record, nowMs);
  }
  complete(record: CompletionRecord, owner: string) {
    return this.inner.complete(record, owner);
  }
  release(id: string, owner: string) {
    return this.inner.release(id, owner);
  }
  readStep(id: string) {
    return this.steps.readStep(id);
  }
  startStep(record: StepRecord, nowMs: number) {
    return this.hangIfCrashing('startStep', record.id) ?? this.steps.startStep(record, nowMs);
  }
  recordStep(record: StepRecord, nowMs: number) {
    return this.hangIfCrashing('recordStep', record.id) ?? this.steps.recordStep(record, nowMs);
  }
  finishStep(record: StepRecord, owner: string) {
    return this.hangIfCrashing('finishStep', record.id) ?? this.steps.finishStep(record, owner);
  }
  extendStep(id: string, expiresAtSeconds: number) {
    return this.steps.extendStep(id, expiresAtSeconds);
  }
}

/**
 * A downstream service that deduplicates by idempotency key, like a payment provider:
 * `effects` counts what really happened, `calls` every request it received.
 */
export class FakeProvider {
  readonly calls: string[] = [];
  private readonly done = new Map<string, string>();

  get effects(): number {
    return this.done.size;
  }

  /** Performs the effect once per key; repeats return the first outcome. */
  async perform(key: string, what: string): Promise<string> {
    this.calls.push(key);
    await Promise.resolve();
    const existing = this.done.get(key);
    if (existing) return existing;
    const outcome = `${what}_${this.done.size + 1}`;
    this.done.set(key, outcome);
    return outcome;
  }
}

/** A promise that never settles: an invocation parked forever, as a crashed one is. */
export function never(): Promise<never> {
  return new Promise<never>(() => undefined);
}
