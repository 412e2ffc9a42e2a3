import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'iovalkey';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IdempotencyError, makeIdempotent, step } from '../../../lambda/index.js';
import { recordId } from '../../../lambda/core/engine.js';
import { ownerToken } from '../../../lambda/core/owner-token.js';
import { DEFAULT_KEY_PREFIX, ValkeyStore, type ValkeyClient } from '../../../lambda/valkey/index.js';
import { lambdaContext } from '../../support/lambda-context.js';
import { REDIS_MISSING, redisClusterUrl, redisUrl, uniquePrefix } from './redis.js';

const now = () => Date.now();
const seconds = (ms: number) => Math.floor(ms / 1000);

describe('ValkeyStore options', () => {
  it('rejects neither url nor client, and both, naming the two', () => {
    expect(() => new ValkeyStore({})).toThrow(/\{ url \}.*or \{ client \}, exactly one/);
    const client: ValkeyClient = { callBuffer: async () => 1 };
    expect(() => new ValkeyStore({ url: 'redis://127.0.0.1:6379', client })).toThrow(IdempotencyError);
  });

  it.each(['http://cache:6379', 'valkey://cache', 'cache:6379'])('rejects the URL %s, naming the schemes it accepts', (url) => {
    expect(() => new ValkeyStore({ url })).toThrow(/redis:\/\/.*rediss:\/\//);
  });

  it('rejects a client without the command call it needs', () => {
    expect(() => new ValkeyStore({ client: {} as ValkeyClient })).toThrow(/iovalkey or ioredis client/);
  });

  it('rejects a key prefix that is not a string', () => {
    const client: ValkeyClient = { callBuffer: async () => 1 };
    expect(() => new ValkeyStore({ client, keyPrefix: 7 as unknown as string })).toThrow(/keyPrefix must be a string/);
  });

  it('turns on TLS for rediss://, and passes the user name and password from the URL', async () => {
    const store = new ValkeyStore({ url: 'rediss://app:s%3Acret@cache.example:6380', clientOptions: { lazyConnect: true } });
    const { options } = store.client as Redis;
    expect(options).toMatchObject({ host: 'cache.example', port: 6380, username: 'app', password: 's:cret', tls: {} });
    await store.close();
  });

  it('creates a cluster client in cluster mode, resolving no node address itself (TLS names the host)', async () => {
    const store = new ValkeyStore({ url: 'rediss://cache.example:6379', cluster: true, clientOptions: { lazyConnect: true } });
    expect(store.client).toBeInstanceOf(Cluster);
    const { options } = store.client as Cluster;
    expect(options.redisOptions).toMatchObject({ tls: {} });
    const looked = await new Promise((resolve) => options.dnsLookup?.('node.cache.example', (_e, address) => resolve(address)));
    expect(looked).toBe('node.cache.example');
    (store.client as Cluster).disconnect();
  });

  it(`prefixes keys with ${JSON.stringify(DEFAULT_KEY_PREFIX)} by default`, () => {
    expect(new ValkeyStore({ client: { callBuffer: async () => 1 } }).keyPrefix).toBe('retry-safe:');
  });
});

describe.skipIf(!redisUrl())('ValkeyStore on a real Redis server', () => {
  let admin: Redis;
  const stores: ValkeyStore[] = [];
  const newStore = (keyPrefix = uniquePrefix()) => {
    const store = new ValkeyStore({ url: redisUrl(), keyPrefix });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    admin = new Redis(redisUrl());
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    admin.disconnect();
  });

  it('keeps one hash per record under the prefixed id, with the table\'s field names and the server expiry at the end of its second', async () => {
    const store = newStore();
    const id = `orders#${randomUUID()}`;
    const expiresAtSeconds = seconds(now()) + 600;
    await store.claim({ id, status: 'in-progress', fingerprint: 'fp', owner: 'o1', leaseExpiresAtMs: 42, expiresAtSeconds }, now());

    const key = store.keyPrefix + id;
    expect(await admin.hgetall(key)).toEqual({ s: 'P', f: 'fp', o: 'o1', l: '42', expiration: String(expiresAtSeconds) });
    expect(Number(await admin.call('PEXPIRETIME', key))).toBe((expiresAtSeconds + 1) * 1000);

    await store.complete({ id, fingerprint: 'fp', expiresAtSeconds: expiresAtSeconds + 60, result: '"ok"' }, 'o1');
    expect(await admin.hgetall(key)).toEqual({ s: 'C', f: 'fp', o: 'o1', r: '"ok"', expiration: String(expiresAtSeconds + 60) });
    expect(Number(await admin.call('PEXPIRETIME', key))).toBe((expiresAtSeconds + 61) * 1000);
  });

  it('keeps two prefixes apart: the same id under another prefix is another record', async () => {
    const a = newStore();
    const b = newStore();
    const id = `shared#${randomUUID()}`;
    const claim = { id, status: 'in-progress' as const, fingerprint: 'fp', leaseExpiresAtMs: now() + 30_000, expiresAtSeconds: seconds(now()) + 60 };

    expect(await a.claim({ ...claim, owner: ownerToken() }, now())).toEqual({ claimed: true });
    expect(await b.claim({ ...claim, owner: ownerToken() }, now())).toEqual({ claimed: true });
  });

  it('loads its scripts again after the server forgot them (SCRIPT FLUSH, a restart, a failover)', async () => {
    const store = newStore();
    const claim = () => store.claim({ id: randomUUID(), status: 'in-progress', fingerprint: 'f', owner: ownerToken(), leaseExpiresAtMs: now() + 30_000, expiresAtSeconds: seconds(now()) + 60 }, now());
    await claim();

    await admin.call('SCRIPT', 'FLUSH');

    expect(await claim()).toEqual({ claimed: true });
    expect(await claim()).toEqual({ claimed: true });
  });

  it('works with a client you created, and leaves it open on close()', async () => {
    const client = new Redis(redisUrl());
    const store = new ValkeyStore({ client, keyPrefix: uniquePrefix() });
    const id = randomUUID();
    const claim = { id, status: 'in-progress' as const, fingerprint: 'f', owner: 'mine', leaseExpiresAtMs: now() + 30_000, expiresAtSeconds: seconds(now()) + 60 };

    expect(await store.claim(claim, now())).toEqual({ claimed: true });
    await store.close();

    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });

  it('replays a handler and its steps through makeIdempotent and step(), running each effect once', async () => {
    const store = newStore();
    const effects: string[] = [];
    const handler = makeIdempotent(
      async (event: { orderId: string }) => {
        const charge = await step('charge', async (key) => (effects.push(`charge ${key}`), { chargeId: 'ch_1', at: new Date(0) }));
        const mail = await step('mail', async () => (effects.push('mail'), 'sent'), { atMostOnce: true });
        return { orderId: event.orderId, charge, mail };
      },
      { store, name: 'orders', key: (e) => e.orderId },
    );
    const orderId = randomUUID();

    const first = await handler({ orderId }, lambdaContext());
    const second = await handler({ orderId }, lambdaContext());

    expect(second).toEqual(first);
    expect(second.charge.at).toBeInstanceOf(Date);
    expect(effects).toHaveLength(2);
    expect(await admin.hget(store.keyPrefix + recordId('orders', orderId), 's')).toBe('C');
  });
});

describe.skipIf(!redisClusterUrl())('ValkeyStore on a three-node Redis cluster', () => {
  it('spreads records over the nodes by slot, one key per record, and finds every one again', async () => {
    const store = new ValkeyStore({ url: redisClusterUrl(), cluster: true, keyPrefix: uniquePrefix() });
    const ids = Array.from({ length: 30 }, () => randomUUID());
    for (const id of ids) {
      await store.claim({ id, status: 'in-progress', fingerprint: 'f', owner: 'o', leaseExpiresAtMs: now() + 30_000, expiresAtSeconds: seconds(now()) + 60 }, now());
    }

    const cluster = store.client as Cluster;
    const counts = await Promise.all(cluster.nodes('master').map(async (node) => (await node.keys(`${store.keyPrefix}*`)).length));
    expect(counts).toHaveLength(3);
    expect(counts.every((count) => count > 0)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(ids.length);
    for (const id of ids) expect((await store.readStep(id))?.owner).toBe('o');
    await store.close();
  });
});

if (!redisUrl()) {
  describe('ValkeyStore on a real Redis server', () => {
    it.skip(`skipped: ${REDIS_MISSING}`, () => undefined);
  });
}

describe.skipIf(!inject('redisTlsUrl'))('ValkeyStore over TLS (rediss://) to a real TLS-only Redis', () => {
  const tlsUrl = () => inject('redisTlsUrl');
  const claimOnce = (store: ValkeyStore) =>
    store.claim({ id: randomUUID(), status: 'in-progress', fingerprint: 'f', owner: 'o', leaseExpiresAtMs: now() + 30_000, expiresAtSeconds: seconds(now()) + 60 }, now());

  it('claims over TLS when the client trusts the server\'s CA', async () => {
    const store = new ValkeyStore({ url: tlsUrl(), keyPrefix: uniquePrefix(), clientOptions: { tls: { ca: inject('redisTlsCa') } } });
    expect(await claimOnce(store)).toEqual({ claimed: true });
    await store.close();
  });

  it('fails with IdempotencyStoreError, claiming nothing, when the server\'s certificate is not trusted', async () => {
    const store = new ValkeyStore({ url: tlsUrl(), keyPrefix: uniquePrefix(), clientOptions: { maxRetriesPerRequest: 0, retryStrategy: () => null } });
    (store.client as Redis).on('error', () => undefined);
    await expect(claimOnce(store)).rejects.toMatchObject({ name: 'IdempotencyStoreError', operation: 'claim' });
    (store.client as Redis).disconnect();
  });

  it('fails, claiming nothing, when plain redis:// is pointed at the TLS port', async () => {
    const plain = tlsUrl().replace('rediss://', 'redis://');
    const store = new ValkeyStore({ url: plain, keyPrefix: uniquePrefix(), clientOptions: { maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 2_000 } });
    (store.client as Redis).on('error', () => undefined);
    await expect(claimOnce(store)).rejects.toBeInstanceOf(Error);
    (store.client as Redis).disconnect();
  });
});
