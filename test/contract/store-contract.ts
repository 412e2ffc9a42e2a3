/**
 * The behaviour every idempotency store must have, as one vitest suite that runs unchanged
 * against each implementation. Call {@link describeStoreContract} from a test file with a
 * factory for the store under test; it registers the tests in a `describe` block.
 *
 * The suite drives the published seam only (`IdempotencyStore`, and `StepStore` as `step()`
 * finds it), plus `makeIdempotent()` for the storm, so a store that passes it works with every
 * adapter. It reads records back through the seam too (a claim that loses returns the record
 * in its way), so it needs no access to the backend.
 *
 * @example
 * describeStoreContract('DynamoDBStore on DynamoDB Local', {
 *   createStore: async () => (await createLocalTable('contract')).store,
 * });
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  IdempotencyStoreError,
  makeIdempotent,
  type ClaimRecord,
  type CompletionRecord,
  type IdempotencyRecord,
  type IdempotencyStore,
  type StepRecord,
  type StepStore,
} from '../../lambda/index.js';
import { ownerToken } from '../../lambda/core/owner-token.js';
import { encodeResult, isUnstorable, MAX_RESULT_BYTES } from '../../lambda/core/result-codec.js';
import { stepStoreFor } from '../../lambda/steps/step-store.js';
import { lambdaContext } from '../support/lambda-context.js';

/** What the suite needs to know about the store under test. */
export interface StoreContractSubject {
  /**
   * Creates the store to test. Called once per `describe` block; the suite uses fresh random ids,
   * so one store (one table, one key prefix) may serve every test.
   */
  readonly createStore: () => IdempotencyStore | Promise<IdempotencyStore>;
  /**
   * Creates a store whose backend cannot be reached (a closed port, say), configured to give
   * up quickly. Every operation must then fail with `IdempotencyStoreError`.
   * @default - the failure-mode tests are skipped
   */
  readonly createUnreachableStore?: () => IdempotencyStore | Promise<IdempotencyStore>;
  /**
   * Whether the store keeps step records (`step()` works with it).
   * @default true
   */
  readonly steps?: boolean;
  /**
   * The size of the storm: `keys` new keys, each hit by `invocationsPerKey` concurrent invocations.
   * @default { keys: 5, invocationsPerKey: 40 }
   */
  readonly storm?: { readonly keys: number; readonly invocationsPerKey: number };
  /**
   * Why the backend is not available here (a server binary not installed): the suite then
   * registers one skipped test saying so, instead of failing.
   * @default - the suite runs
   */
  readonly skipBecause?: string;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Registers the store contract's tests for one store, under `describe(name)`. */
export function describeStoreContract(name: string, subject: StoreContractSubject): void {
  if (subject.skipBecause) {
    describe(name, () => it.skip(`skipped: ${subject.skipBecause}`, () => undefined));
    return;
  }
  describe(name, () => {
    let cached: Promise<IdempotencyStore> | undefined;
    const store = (): Promise<IdempotencyStore> => (cached ??= Promise.resolve(subject.createStore()));

    describe('claim', () => {
      it('claims a free id', async () => {
        const s = await store();
        expect(await s.claim(claimRecord(), Date.now())).toEqual({ claimed: true });
      });

      it('refuses a live claim and returns it whole, read in the same request', async () => {
        const s = await store();
        const first = claimRecord();
        await s.claim(first, Date.now());

        const answer = await s.claim(claimRecord({ id: first.id }), Date.now());

        expect(answer.claimed).toBe(false);
        const existing = existingOf(answer);
        expect(existing).toMatchObject({
          id: first.id,
          status: 'in-progress',
          owner: first.owner,
          fingerprint: first.fingerprint,
          leaseExpiresAtMs: first.leaseExpiresAtMs,
          expiresAtSeconds: first.expiresAtSeconds,
        });
        expect(existing?.result).toBeUndefined();
      });

      it('answers a repeated claim by the same owner with its own record (a retry whose response was lost)', async () => {
        const s = await store();
        const record = claimRecord();
        await s.claim(record, Date.now());

        const again = await s.claim(record, Date.now());

        expect(again.claimed ? undefined : again.existing?.owner).toBe(record.owner);
      });

      it('lets exactly one of 25 concurrent claims on one id win, and shows the winner to every loser', async () => {
        const s = await store();
        const id = recordIdForTest();
        const fingerprint = randomFingerprint();
        const claims = Array.from({ length: 25 }, () => claimRecord({ id, fingerprint }));

        const answers = await Promise.all(claims.map((record) => s.claim(record, Date.now())));

        const winners = claims.filter((_, i) => answers[i].claimed);
        expect(winners).toHaveLength(1);
        for (const answer of answers.filter((a) => !a.claimed)) {
          expect(existingOf(answer)?.owner).toBe(winners[0].owner);
        }
      });

      it('keeps concurrent claims on different ids independent', async () => {
        const s = await store();
        const answers = await Promise.all(Array.from({ length: 20 }, () => s.claim(claimRecord(), Date.now())));
        expect(answers.every((a) => a.claimed)).toBe(true);
      });

      it('refuses to take over an in-progress claim whose lease has not lapsed', async () => {
        const s = await store();
        const now = Date.now();
        const first = claimRecord({ leaseExpiresAtMs: now + 10 * SECOND });
        await s.claim(first, now);

        const answer = await s.claim(claimRecord({ id: first.id, fingerprint: first.fingerprint }), now + 9 * SECOND);

        expect(existingOf(answer)?.owner).toBe(first.owner);
      });

      it('lets a claim with the same fingerprint take over once the lease has lapsed', async () => {
        const s = await store();
        const now = Date.now();
        const crashed = claimRecord({ leaseExpiresAtMs: now + 5 * SECOND });
        await s.claim(crashed, now);
        const later = now + 6 * SECOND;
        const retry = claimRecord({ id: crashed.id, fingerprint: crashed.fingerprint, leaseExpiresAtMs: later + 30 * SECOND });

        expect(await s.claim(retry, later)).toEqual({ claimed: true });
        expect((await peek(s, crashed.id, crashed.fingerprint))?.owner).toBe(retry.owner);
      });

      it('refuses a takeover by another fingerprint even after the lease has lapsed', async () => {
        const s = await store();
        const now = Date.now();
        const crashed = claimRecord({ leaseExpiresAtMs: now + 5 * SECOND });
        await s.claim(crashed, now);

        const answer = await s.claim(claimRecord({ id: crashed.id }), now + 6 * SECOND);

        expect(existingOf(answer)).toMatchObject({ owner: crashed.owner, fingerprint: crashed.fingerprint });
      });

      it('never takes over a completed record, however late, before it expires', async () => {
        const s = await store();
        const now = Date.now();
        const first = claimRecord({ leaseExpiresAtMs: now + 5 * SECOND });
        await s.claim(first, now);
        await s.complete(completion(first, { result: '"done"' }), first.owner);

        const answer = await s.claim(claimRecord({ id: first.id, fingerprint: first.fingerprint }), now + 10 * MINUTE);

        expect(existingOf(answer)).toMatchObject({ status: 'completed', result: '"done"' });
      });

      it('counts a record past its expiry as absent in code, whether or not the backend has deleted it', async () => {
        const s = await store();
        const now = Date.now();
        const old = claimRecord({ expiresAtSeconds: seconds(now) + 120 });
        await s.claim(old, now);
        await s.complete(completion(old, { expiresAtSeconds: seconds(now) + 120, result: '1' }), old.owner);
        const afterExpiry = now + 122 * SECOND;

        // Another payload may claim an expired key: the old record no longer exists for the engine.
        const fresh = claimRecord({ id: old.id, leaseExpiresAtMs: afterExpiry + MINUTE, expiresAtSeconds: seconds(afterExpiry) + 600 });
        expect(await s.claim(fresh, afterExpiry)).toEqual({ claimed: true });
      });

      it('keeps a record alive until the end of its expiry second', async () => {
        const s = await store();
        const now = Date.now();
        const record = claimRecord({ leaseExpiresAtMs: now + SECOND, expiresAtSeconds: seconds(now) + 60 });
        await s.claim(record, now);

        const answer = await s.claim(claimRecord({ id: record.id }), (record.expiresAtSeconds + 1) * SECOND - 1);

        expect(existingOf(answer)?.owner).toBe(record.owner);
      });

      it('stores ids with any printable characters, braces and non-ASCII included', async () => {
        const s = await store();
        const record = claimRecord({ id: `odd {tag} #${randomUUID()} ✓ "quoted" \\ end` });
        expect(await s.claim(record, Date.now())).toEqual({ claimed: true });
        expect((await peek(s, record.id, record.fingerprint))?.owner).toBe(record.owner);
      });
    });

    describe('complete', () => {
      it('marks the owner\'s claim completed with its result and expiry, keeping the owner and dropping the lease', async () => {
        const s = await store();
        const claim = await claimed(s);
        const done = completion(claim, { result: '{"chargeId":"ch_1"}' });

        expect(await s.complete(done, claim.owner)).toBe(true);

        const record = await peek(s, claim.id, claim.fingerprint);
        expect(record).toMatchObject({
          status: 'completed',
          owner: claim.owner,
          fingerprint: claim.fingerprint,
          expiresAtSeconds: done.expiresAtSeconds,
          result: '{"chargeId":"ch_1"}',
        });
        expect(record?.leaseExpiresAtMs).toBeUndefined();
        expect(record?.resultUnavailable).toBeUndefined();
      });

      it('returns true for a retried completion by the same owner: a completed record keeps its owner', async () => {
        const s = await store();
        const claim = await claimed(s);
        const done = completion(claim, { result: '"once"' });
        await s.complete(done, claim.owner);

        expect(await s.complete(done, claim.owner)).toBe(true);
        expect((await peek(s, claim.id, claim.fingerprint))?.result).toBe('"once"');
      });

      it('refuses a completion by another owner and leaves the claim untouched', async () => {
        const s = await store();
        const claim = await claimed(s);

        expect(await s.complete(completion(claim, { result: '"stolen"' }), ownerToken())).toBe(false);

        expect(await peek(s, claim.id, claim.fingerprint)).toMatchObject({ status: 'in-progress', owner: claim.owner });
      });

      it('refuses a completion by another owner over a completed record, keeping the first result', async () => {
        const s = await store();
        const claim = await claimed(s);
        await s.complete(completion(claim, { result: '"first"' }), claim.owner);

        expect(await s.complete(completion(claim, { result: '"second"' }), ownerToken())).toBe(false);
        expect((await peek(s, claim.id, claim.fingerprint))?.result).toBe('"first"');
      });

      it('refuses a stale owner\'s completion once its claim was taken over', async () => {
        const s = await store();
        const { stale, fresh } = await takenOver(s);

        expect(await s.complete(completion(stale, { result: '"stale"' }), stale.owner)).toBe(false);
        expect(await s.complete(completion(stale, { result: '"fresh"' }), fresh.owner)).toBe(true);
        expect((await peek(s, stale.id, stale.fingerprint))?.result).toBe('"fresh"');
      });

      it('refuses to complete a record that does not exist, and creates none', async () => {
        const s = await store();
        const id = recordIdForTest();
        expect(await s.complete(completion({ id, fingerprint: randomFingerprint() }, { result: '"ghost"' }), ownerToken())).toBe(false);
        expect(await peek(s, id, randomFingerprint())).toBeUndefined();
      });

      it('records a result that could not be stored, with no result', async () => {
        const s = await store();
        const claim = await claimed(s);

        expect(await s.complete(completion(claim, { resultUnavailable: 'too-large' }), claim.owner)).toBe(true);

        const record = await peek(s, claim.id, claim.fingerprint);
        expect(record).toMatchObject({ status: 'completed', resultUnavailable: 'too-large' });
        expect(record?.result).toBeUndefined();
      });

      it('records an undefined result as no result', async () => {
        const s = await store();
        const claim = await claimed(s);
        await s.complete(completion(claim, {}), claim.owner);
        const record = await peek(s, claim.id, claim.fingerprint);
        expect(record?.status).toBe('completed');
        expect(record?.result).toBeUndefined();
      });

      it('returns bytes exactly as given, every byte value included', async () => {
        const s = await store();
        const claim = await claimed(s);
        const bytes = Uint8Array.from({ length: 512 }, (_, i) => i % 256);

        await s.complete(completion(claim, { result: bytes }), claim.owner);

        const stored = (await peek(s, claim.id, claim.fingerprint))?.result;
        expect(stored).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(stored as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
      });

      it('keeps text with multi-byte characters and NUL as text', async () => {
        const s = await store();
        const claim = await claimed(s);
        const text = JSON.stringify({ note: 'ünïcödé ✓ 🧾', nul: '\u0000' });
        await s.complete(completion(claim, { result: text }), claim.owner);
        expect((await peek(s, claim.id, claim.fingerprint))?.result).toBe(text);
      });

      it('stores a large compressed result near the codec\'s limit and returns it intact', async () => {
        const s = await store();
        const claim = await claimed(s);
        const result = largeCompressedResult();

        expect(await s.complete(completion(claim, { result }), claim.owner)).toBe(true);

        const stored = (await peek(s, claim.id, claim.fingerprint))?.result as Uint8Array;
        expect(stored.byteLength).toBe(result.byteLength);
        expect(Buffer.from(stored).equals(Buffer.from(result))).toBe(true);
      });

      it('keeps the holder\'s large result when a stale owner completes after a takeover', async () => {
        const s = await store();
        const { stale, fresh } = await takenOver(s);
        const freshResult = largeCompressedResult();
        const staleResult = largeCompressedResult();

        expect(await s.complete(completion(stale, { result: freshResult }), fresh.owner)).toBe(true);
        expect(await s.complete(completion(stale, { result: staleResult }), stale.owner)).toBe(false);

        const stored = (await peek(s, stale.id, stale.fingerprint))?.result as Uint8Array;
        expect(Buffer.from(stored).equals(Buffer.from(freshResult))).toBe(true);
      });
    });

    describe('release', () => {
      it('deletes the owner\'s claim, so the next claim wins', async () => {
        const s = await store();
        const claim = await claimed(s);

        expect(await s.release(claim.id, claim.owner)).toBe(true);

        expect(await s.claim(claimRecord({ id: claim.id }), Date.now())).toEqual({ claimed: true });
      });

      it('refuses a release by another owner and deletes nothing', async () => {
        const s = await store();
        const claim = await claimed(s);
        expect(await s.release(claim.id, ownerToken())).toBe(false);
        expect((await peek(s, claim.id, claim.fingerprint))?.owner).toBe(claim.owner);
      });

      it('never releases a completed record, even for the owner that completed it', async () => {
        const s = await store();
        const claim = await claimed(s);
        await s.complete(completion(claim, { result: '"kept"' }), claim.owner);

        expect(await s.release(claim.id, claim.owner)).toBe(false);
        expect((await peek(s, claim.id, claim.fingerprint))?.result).toBe('"kept"');
      });

      it('refuses a stale owner\'s release once its claim was taken over', async () => {
        const s = await store();
        const { stale, fresh } = await takenOver(s);

        expect(await s.release(stale.id, stale.owner)).toBe(false);
        expect((await peek(s, stale.id, stale.fingerprint))?.owner).toBe(fresh.owner);
      });

      it('returns false for a record that does not exist', async () => {
        const s = await store();
        expect(await s.release(recordIdForTest(), ownerToken())).toBe(false);
      });
    });

    describe.skipIf(subject.steps === false)('step records', () => {
      const steps = async (): Promise<StepStore> => stepStoreFor(await store());

      it('reads nothing for a step never written', async () => {
        expect(await (await steps()).readStep(recordIdForTest())).toBeUndefined();
      });

      it('starts a step once: a second start gets the started record back', async () => {
        const st = await steps();
        const started = stepRecord({ status: 'in-progress', owner: ownerToken() });
        expect(await st.startStep(started, Date.now())).toEqual({ written: true });

        const again = await st.startStep({ ...started, owner: ownerToken() }, Date.now());

        expect(again.written ? undefined : again.existing).toMatchObject({ status: 'in-progress', owner: started.owner });
      });

      it('lets exactly one of 20 concurrent starts of one step win', async () => {
        const st = await steps();
        const base = stepRecord({ status: 'in-progress' });
        const owners = Array.from({ length: 20 }, () => ownerToken());

        const answers = await Promise.all(owners.map((owner) => st.startStep({ ...base, owner }, Date.now())));

        expect(answers.filter((a) => a.written)).toHaveLength(1);
        const winner = owners[answers.findIndex((a) => a.written)];
        expect((await st.readStep(base.id))?.owner).toBe(winner);
      });

      it('starts over a step record past its expiry (expiry in code)', async () => {
        const st = await steps();
        const now = Date.now();
        const old = stepRecord({ status: 'in-progress', owner: ownerToken(), expiresAtSeconds: seconds(now) + 60 });
        await st.startStep(old, now);
        const later = now + 62 * SECOND;

        const fresh = { ...old, owner: ownerToken(), expiresAtSeconds: seconds(later) + 600 };
        expect(await st.startStep(fresh, later)).toEqual({ written: true });
      });

      it('records a completed step over a started one of the same fingerprint', async () => {
        const st = await steps();
        const started = stepRecord({ status: 'in-progress', owner: ownerToken() });
        await st.startStep(started, Date.now());

        const done = stepRecord({ id: started.id, fingerprint: started.fingerprint, status: 'completed', result: '"r"' });
        expect(await st.recordStep(done, Date.now())).toEqual({ written: true });
        expect(await st.readStep(started.id)).toMatchObject({ status: 'completed', result: '"r"' });
      });

      it('refuses to record over a completed step and returns the recorded one', async () => {
        const st = await steps();
        const first = stepRecord({ status: 'completed', result: '"first"' });
        await st.recordStep(first, Date.now());

        const answer = await st.recordStep({ ...first, result: '"second"' }, Date.now());

        expect(answer.written ? undefined : answer.existing).toMatchObject({ status: 'completed', result: '"first"' });
      });

      it('refuses to record over a started step of another fingerprint', async () => {
        const st = await steps();
        const started = stepRecord({ status: 'in-progress', owner: ownerToken() });
        await st.startStep(started, Date.now());

        const answer = await st.recordStep(stepRecord({ id: started.id, status: 'completed', result: '1' }), Date.now());

        expect(answer.written ? undefined : answer.existing).toMatchObject({ fingerprint: started.fingerprint, status: 'in-progress' });
      });

      it('finishes a started step for its owner only; a retried finish is still true', async () => {
        const st = await steps();
        const owner = ownerToken();
        const started = stepRecord({ status: 'in-progress', owner });
        await st.startStep(started, Date.now());
        const finished = { ...started, status: 'completed' as const, owner: undefined, result: new Uint8Array([0, 255, 7]) };

        expect(await st.finishStep(finished, ownerToken())).toBe(false);
        expect(await st.finishStep(finished, owner)).toBe(true);
        expect(await st.finishStep(finished, owner)).toBe(true);

        const stored = await st.readStep(started.id);
        expect(stored).toMatchObject({ status: 'completed', owner, fingerprint: started.fingerprint });
        expect(Buffer.from(stored?.result as Uint8Array)).toEqual(Buffer.from([0, 255, 7]));
      });

      it('extends a step record\'s expiry later, never earlier, and never resurrects an absent one', async () => {
        const st = await steps();
        const record = stepRecord({ status: 'completed', result: '"x"' });
        await st.recordStep(record, Date.now());

        await st.extendStep(record.id, record.expiresAtSeconds + 600);
        expect((await st.readStep(record.id))?.expiresAtSeconds).toBe(record.expiresAtSeconds + 600);
        await st.extendStep(record.id, record.expiresAtSeconds + 10);
        expect((await st.readStep(record.id))?.expiresAtSeconds).toBe(record.expiresAtSeconds + 600);

        const absent = recordIdForTest();
        await st.extendStep(absent, record.expiresAtSeconds + 600);
        expect(await st.readStep(absent)).toBeUndefined();
      });

      it('keeps a result that could not be stored as a completed step without a result', async () => {
        const st = await steps();
        const record = stepRecord({ status: 'completed', resultUnavailable: 'unserializable' });
        await st.recordStep(record, Date.now());
        const stored = await st.readStep(record.id);
        expect(stored).toMatchObject({ status: 'completed', resultUnavailable: 'unserializable' });
        expect(stored?.result).toBeUndefined();
      });
    });

    describe.skipIf(!subject.createUnreachableStore)('when the backend cannot be reached', () => {
      const unreachable = async (): Promise<IdempotencyStore> => {
        if (!subject.createUnreachableStore) throw new Error('unreachable: no factory');
        return subject.createUnreachableStore();
      };

      it('fails every operation with IdempotencyStoreError naming it', async () => {
        const s = await unreachable();
        const claim = claimRecord();
        await expect(s.claim(claim, Date.now())).rejects.toMatchObject({ name: 'IdempotencyStoreError', operation: 'claim' });
        await expect(s.complete(completion(claim, {}), claim.owner)).rejects.toBeInstanceOf(IdempotencyStoreError);
        await expect(s.release(claim.id, claim.owner)).rejects.toBeInstanceOf(IdempotencyStoreError);
        if (subject.steps === false) return;
        const st = stepStoreFor(s);
        const record = stepRecord({ status: 'in-progress', owner: claim.owner });
        await expect(st.readStep(record.id)).rejects.toMatchObject({ operation: 'step read' });
        await expect(st.startStep(record, Date.now())).rejects.toMatchObject({ operation: 'step start' });
        await expect(st.recordStep(record, Date.now())).rejects.toBeInstanceOf(IdempotencyStoreError);
        await expect(st.finishStep(record, claim.owner)).rejects.toBeInstanceOf(IdempotencyStoreError);
        await expect(st.extendStep(record.id, record.expiresAtSeconds)).rejects.toBeInstanceOf(IdempotencyStoreError);
      });

      it('fails a wrapped handler with IdempotencyStoreError before running it', async () => {
        let runs = 0;
        const handler = makeIdempotent(
          async () => {
            runs++;
            return 'charged';
          },
          { store: await unreachable(), name: 'unreachable', key: (e: { k: string }) => e.k },
        );

        await expect(handler({ k: randomUUID() }, lambdaContext())).rejects.toBeInstanceOf(IdempotencyStoreError);
        expect(runs).toBe(0);
      });
    });

    describe('storm', () => {
      const { keys, invocationsPerKey } = subject.storm ?? { keys: 5, invocationsPerKey: 40 };

      it(`runs the handler exactly once per key for ${invocationsPerKey} concurrent invocations of each of ${keys} new keys`, async () => {
        const s = await store();
        const runs = new Map<string, number>();
        const handler = makeIdempotent(
          async (event: { k: string }) => {
            runs.set(event.k, (runs.get(event.k) ?? 0) + 1);
            await new Promise((r) => setTimeout(r, 20));
            return { receipt: `r_${event.k}` };
          },
          { store: s, name: `storm-${randomUUID()}`, key: (e) => e.k },
        );
        const keyList = Array.from({ length: keys }, () => randomUUID());

        const outcomes = await Promise.allSettled(
          keyList.flatMap((k) => Array.from({ length: invocationsPerKey }, () => handler({ k }, lambdaContext()))),
        );

        for (const k of keyList) expect(runs.get(k)).toBe(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') expect((outcome.reason as Error).name).toBe('IdempotencyInProgressError');
        }
        // After the storm every key replays its one result.
        for (const k of keyList) expect(await handler({ k }, lambdaContext())).toEqual({ receipt: `r_${k}` });
        expect([...runs.values()].reduce((a, b) => a + b, 0)).toBe(keys);
      });
    });
  });
}

// ---- records the suite writes: fresh random ids, so tests never share state ----

function recordIdForTest(): string {
  return `contract#${randomUUID()}`;
}

function randomFingerprint(): string {
  return randomBytes(16).toString('base64url');
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function claimRecord(overrides: Partial<ClaimRecord> = {}): ClaimRecord {
  const now = Date.now();
  return {
    id: recordIdForTest(),
    status: 'in-progress',
    fingerprint: randomFingerprint(),
    owner: ownerToken(),
    leaseExpiresAtMs: now + 30 * SECOND,
    expiresAtSeconds: seconds(now) + 3600,
    ...overrides,
  };
}

/** The completion of `claim`'s record, as the engine writes it (same id and fingerprint). */
function completion(claim: { id: string; fingerprint: string }, fields: Partial<CompletionRecord>): CompletionRecord {
  return { id: claim.id, fingerprint: claim.fingerprint, expiresAtSeconds: seconds(Date.now()) + 3600, ...fields };
}

function stepRecord(overrides: Partial<StepRecord> & Pick<StepRecord, 'status'>): StepRecord {
  return {
    id: `${recordIdForTest()}#step#x`,
    fingerprint: randomFingerprint(),
    expiresAtSeconds: seconds(Date.now()) + 3600,
    ...overrides,
  };
}

async function claimed(store: IdempotencyStore): Promise<ClaimRecord> {
  const record = claimRecord();
  const answer = await store.claim(record, Date.now());
  if (!answer.claimed) throw new Error(`setup: a fresh id was not claimable: ${JSON.stringify(answer)}`);
  return record;
}

function existingOf(answer: Awaited<ReturnType<IdempotencyStore['claim']>>): IdempotencyRecord | undefined {
  if (answer.claimed) throw new Error('expected the claim to be refused, it was granted');
  return answer.existing;
}

/** A claim whose lease lapsed (`stale`) and the same request's claim that took it over (`fresh`). */
async function takenOver(store: IdempotencyStore): Promise<{ stale: ClaimRecord; fresh: ClaimRecord }> {
  const now = Date.now();
  const stale = claimRecord({ leaseExpiresAtMs: now + 5 * SECOND });
  await store.claim(stale, now);
  const fresh = claimRecord({ id: stale.id, fingerprint: stale.fingerprint, leaseExpiresAtMs: now + MINUTE });
  const answer = await store.claim(fresh, now + 6 * SECOND);
  if (!answer.claimed) throw new Error('setup: the lapsed claim was not taken over');
  return { stale, fresh };
}

/**
 * Reads a live record through the seam: a claim with a new owner and an unlapsed lease never
 * wins over a live record, and gets it back. If the id was free, the probe's claim is released.
 */
async function peek(store: IdempotencyStore, id: string, fingerprint: string): Promise<IdempotencyRecord | undefined> {
  const probe = claimRecord({ id, fingerprint });
  const answer = await store.claim(probe, Date.now());
  if (answer.claimed) {
    await store.release(id, probe.owner);
    return undefined;
  }
  const existing = answer.existing;
  // A store may keep a large result out of the record; then its readResult must give it back.
  if (!existing?.resultRef) return existing;
  if (!store.readResult) throw new Error('the store kept a result apart but has no readResult');
  return { ...existing, result: await store.readResult(existing.resultRef) };
}

/** Bytes as the codec writes a large result: a compressed blob close to the codec's limit. */
function largeCompressedResult(): Uint8Array {
  // Random hex (half compressible) plus repetitive rows: over 200 KB once compressed.
  const noise = randomBytes(240 * 1024).toString('hex');
  const encoded = encodeResult({ noise, rows: Array(20_000).fill('row') });
  if (isUnstorable(encoded) || !(encoded instanceof Uint8Array)) throw new Error('setup: expected compressed bytes');
  expect(encoded.byteLength).toBeLessThanOrEqual(MAX_RESULT_BYTES);
  expect(encoded.byteLength).toBeGreaterThan(200 * 1024);
  return encoded;
}
