/**
 * InMemoryStore keeps the conditions of DynamoDBStore and its step store: who may claim, who may
 * complete or release, what counts as expired, and how steps are started, recorded and finished.
 * Its TestClock ages what it holds.
 */
import { describe, expect, it } from 'vitest';
import { IdempotencyError, makeIdempotent, type ClaimRecord } from '../../../lambda/index.js';
import { InMemoryStore, TestClock } from '../../../lambda/testing/index.js';
import type { StepRecord } from '../../../lambda/steps/step-store.js';
import { recordingLogger } from '../../support/lambda-context.js';

const LEASE_MS = 30_000;

function claimOf(owner: string, nowMs: number, overrides: Partial<ClaimRecord> = {}): ClaimRecord {
  return {
    id: 'orders#abc',
    status: 'in-progress',
    fingerprint: 'f1',
    owner,
    leaseExpiresAtMs: nowMs + LEASE_MS,
    expiresAtSeconds: Math.floor(nowMs / 1000) + 3_600,
    ...overrides,
  };
}

function stepOf(overrides: Partial<StepRecord> = {}): StepRecord {
  const nowMs = Date.now();
  return {
    id: 'orders#abc#step#s1',
    status: 'in-progress',
    fingerprint: 'f1',
    owner: 'owner-a',
    expiresAtSeconds: Math.floor(nowMs / 1000) + 3_600,
    ...overrides,
  };
}

describe('InMemoryStore claims', () => {
  it('claims a free key, then refuses a second claim while the lease holds and returns the holder', async () => {
    const store = new InMemoryStore();
    const now = Date.now();

    const first = await store.claim(claimOf('owner-a', now), now);
    const second = await store.claim(claimOf('owner-b', now), now);

    expect(first).toEqual({ claimed: true });
    expect(second.claimed).toBe(false);
    expect(!second.claimed && second.existing).toMatchObject({ owner: 'owner-a', status: 'in-progress', leaseExpiresAtMs: now + LEASE_MS });
  });

  it('lets a claim take over once the clock is past the lease, and not a millisecond before', async () => {
    const store = new InMemoryStore();
    const now = Date.now();
    await store.claim(claimOf('owner-a', now), now);

    store.clock.advance(LEASE_MS);
    const atTheLease = await store.claim(claimOf('owner-b', now), now);
    store.clock.advance(1);
    const pastTheLease = await store.claim(claimOf('owner-c', now), now);

    expect(atTheLease.claimed).toBe(false);
    expect(pastTheLease).toEqual({ claimed: true });
    expect(store.records().map((r) => r.owner)).toEqual(['owner-c']);
  });

  it('rejects a takeover of a lapsed lease by another payload: the record comes back for a mismatch', async () => {
    const store = new InMemoryStore();
    const now = Date.now();
    await store.claim(claimOf('owner-a', now), now);
    store.clock.advance(LEASE_MS + 1);

    const other = await store.claim(claimOf('owner-b', now, { fingerprint: 'f2' }), now);

    expect(other.claimed).toBe(false);
    expect(!other.claimed && other.existing?.fingerprint).toBe('f1');
  });

  it('treats a record past its expiry as absent, as DynamoDB does before TTL deletes it', async () => {
    const store = new InMemoryStore();
    const now = Date.now();
    await store.claim(claimOf('owner-a', now), now);
    await store.complete({ id: 'orders#abc', fingerprint: 'f1', expiresAtSeconds: Math.floor(now / 1000) + 60 }, 'owner-a');
    const live = await store.claim(claimOf('owner-b', now, { fingerprint: 'f2' }), now);

    store.clock.advance(62_000);
    const expired = await store.claim(claimOf('owner-b', now, { fingerprint: 'f2' }), now);

    expect(live.claimed).toBe(false);
    expect(expired).toEqual({ claimed: true });
  });

  it('hands records back in the engine\'s time, so the engine sees the lapse the store sees', async () => {
    const store = new InMemoryStore();
    const now = Date.now();
    await store.claim(claimOf('owner-a', now), now);

    store.clock.advance(10_000);

    expect(store.records()[0]?.leaseExpiresAtMs).toBe(now + LEASE_MS - 10_000);
    expect(store.records()[0]?.expiresAtSeconds).toBe(Math.floor(now / 1000) + 3_600 - 10);
  });

  it('advances just past the latest lease with lapseLeases(), and not at all without a claim', async () => {
    const store = new InMemoryStore();
    expect(store.lapseLeases()).toBe(0);
    const now = Date.now();
    await store.claim(claimOf('owner-a', now), now);

    const moved = store.lapseLeases();

    expect(moved).toBeGreaterThan(LEASE_MS - 1_000);
    expect(moved).toBeLessThanOrEqual(LEASE_MS + 1);
    expect((await store.claim(claimOf('owner-b', Date.now()), Date.now())).claimed).toBe(true);
  });
});

describe('InMemoryStore completion and release', () => {
  it('completes only for the owner, drops the lease, keeps the owner, and answers a retried completion true', async () => {
    const store = new InMemoryStore();
    const now = Date.now();
    await store.claim(claimOf('owner-a', now), now);
    const completion = { id: 'orders#abc', fingerprint: 'f1', expiresAtSeconds: Math.floor(now / 1000) + 3_600, result: '{"ok":true}' };

    const byOther = await store.complete(completion, 'owner-b');
    const byOwner = await store.complete(completion, 'owner-a');
    const retried = await store.complete(completion, 'owner-a');
    const otherAfter = await store.complete(completion, 'owner-b');

    expect([byOther, byOwner, retried, otherAfter]).toEqual([false, true, true, false]);
    const [record] = store.records();
    expect(record).toMatchObject({ status: 'completed', owner: 'owner-a', result: '{"ok":true}' });
    expect(record?.leaseExpiresAtMs).toBeUndefined();
  });

  it('refuses to complete a claim another invocation took over after the lease lapsed', async () => {
    const store = new InMemoryStore();
    const now = Date.now();
    await store.claim(claimOf('owner-a', now), now);
    store.clock.advance(LEASE_MS + 1);
    await store.claim(claimOf('owner-b', now), now);

    expect(await store.complete({ id: 'orders#abc', fingerprint: 'f1', expiresAtSeconds: 0 }, 'owner-a')).toBe(false);
    expect(store.records()[0]).toMatchObject({ owner: 'owner-b', status: 'in-progress' });
  });

  it('releases only the owner\'s in-progress claim, never a completed record', async () => {
    const store = new InMemoryStore();
    const now = Date.now();
    await store.claim(claimOf('owner-a', now), now);

    expect(await store.release('orders#abc', 'owner-b')).toBe(false);
    expect(await store.release('orders#abc', 'owner-a')).toBe(true);
    expect(store.records()).toEqual([]);
    await store.claim(claimOf('owner-a', now), now);
    await store.complete({ id: 'orders#abc', fingerprint: 'f1', expiresAtSeconds: Math.floor(now / 1000) + 60 }, 'owner-a');
    expect(await store.release('orders#abc', 'owner-a')).toBe(false);
    expect(store.records()).toHaveLength(1);
  });

  it('keeps its own copy of a binary result', async () => {
    const store = new InMemoryStore();
    const now = Date.now();
    await store.claim(claimOf('owner-a', now), now);
    const bytes = new Uint8Array([1, 2, 3]);
    await store.complete({ id: 'orders#abc', fingerprint: 'f1', expiresAtSeconds: Math.floor(now / 1000) + 60, result: bytes }, 'owner-a');

    bytes[0] = 9;
    const handedOut = store.records()[0]?.result as Uint8Array;
    handedOut[1] = 9;

    expect([...(store.records()[0]?.result as Uint8Array)]).toEqual([1, 2, 3]);
  });
});

describe('InMemoryStore steps', () => {
  it('starts a step once: a second start gets the started record back', async () => {
    const store = new InMemoryStore();

    const first = await store.startStep(stepOf(), Date.now());
    const second = await store.startStep(stepOf({ owner: 'owner-b' }), Date.now());

    expect(first).toEqual({ written: true });
    expect(!second.written && second.existing?.owner).toBe('owner-a');
  });

  it('records over a started step of the same payload, never over a completed one or another payload', async () => {
    const store = new InMemoryStore();
    await store.startStep(stepOf(), Date.now());

    const overStarted = await store.recordStep(stepOf({ status: 'completed', owner: undefined, result: '1' }), Date.now());
    const overCompleted = await store.recordStep(stepOf({ status: 'completed', result: '2' }), Date.now());

    expect(overStarted).toEqual({ written: true });
    expect(!overCompleted.written && overCompleted.existing?.result).toBe('1');
    const other = new InMemoryStore();
    await other.startStep(stepOf(), Date.now());
    expect((await other.recordStep(stepOf({ status: 'completed', fingerprint: 'f2' }), Date.now())).written).toBe(false);
  });

  it('finishes a started step for its owner only, and a retried finish still answers true', async () => {
    const store = new InMemoryStore();
    await store.startStep(stepOf(), Date.now());
    const finished = stepOf({ status: 'completed', result: '"done"' });

    expect(await store.finishStep(finished, 'owner-b')).toBe(false);
    expect(await store.finishStep(finished, 'owner-a')).toBe(true);
    expect(await store.finishStep(finished, 'owner-a')).toBe(true);
    expect(await store.readStep(finished.id)).toMatchObject({ status: 'completed', owner: 'owner-a', result: '"done"' });
  });

  it('extends a step record\'s life, never shortens it, never creates one', async () => {
    const store = new InMemoryStore();
    const record = stepOf({ status: 'completed' });
    await store.recordStep(record, Date.now());

    await store.extendStep(record.id, record.expiresAtSeconds + 100);
    await store.extendStep(record.id, record.expiresAtSeconds + 50);
    await store.extendStep('orders#absent#step#x', record.expiresAtSeconds + 100);

    expect((await store.readStep(record.id))?.expiresAtSeconds).toBe(record.expiresAtSeconds + 100);
    expect(await store.readStep('orders#absent#step#x')).toBeUndefined();
  });

  it('lets a start win over a step record the clock has expired, and reads the old one back as expired', async () => {
    const store = new InMemoryStore();
    const record = stepOf({ status: 'completed', expiresAtSeconds: Math.floor(Date.now() / 1000) + 10 });
    await store.recordStep(record, Date.now());

    store.clock.advance(12_000);
    const read = await store.readStep(record.id);
    const started = await store.startStep(stepOf({ owner: 'owner-b' }), Date.now());

    expect(read?.expiresAtSeconds).toBeLessThan(Math.floor(Date.now() / 1000));
    expect(started).toEqual({ written: true });
  });
});

describe('TestClock', () => {
  it('rejects moving backwards or by a non-number', () => {
    const clock = new TestClock();
    expect(() => clock.advance(-1)).toThrow(IdempotencyError);
    expect(() => clock.advance(Number.NaN)).toThrow(/finite, non-negative/);
    expect(clock.advancedMs).toBe(0);
  });

  it('ages two stores together when they share it', async () => {
    const clock = new TestClock();
    const [a, b] = [new InMemoryStore({ clock }), new InMemoryStore({ clock })];
    const now = Date.now();
    await a.claim(claimOf('owner-a', now), now);
    await b.claim(claimOf('owner-a', now), now);

    clock.advance(LEASE_MS + 1);

    expect((await a.claim(claimOf('owner-b', now), now)).claimed).toBe(true);
    expect((await b.claim(claimOf('owner-b', now), now)).claimed).toBe(true);
  });
});

describe('InMemoryStore under makeIdempotent', () => {
  it('runs the handler once for duplicates racing, and replays its result to the later ones', async () => {
    const store = new InMemoryStore();
    let runs = 0;
    const handler = makeIdempotent(
      async (event: { id: string }) => {
        runs += 1;
        await new Promise((resolve) => setImmediate(resolve));
        return { charged: event.id };
      },
      { store, name: 'charge', key: (event) => event.id, logger: recordingLogger() },
    );

    const racing = await Promise.allSettled([1, 2, 3, 4].map(() => handler({ id: 'o-1' }, undefined as never)));
    const replay = await handler({ id: 'o-1' }, undefined as never);

    expect(runs).toBe(1);
    expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(racing.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.name)).toEqual(
      Array(3).fill('IdempotencyInProgressError'),
    );
    expect(replay).toEqual({ charged: 'o-1' });
  });
});
