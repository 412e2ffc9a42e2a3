import type { Redis } from 'iovalkey';
import { afterAll } from 'vitest';
import { ValkeyStore } from '../../../lambda/valkey/index.js';
import { describeStoreContract } from '../../contract/store-contract.js';
import { REDIS_MISSING, redisClusterUrl, redisUrl, uniquePrefix } from './redis.js';

const stores: ValkeyStore[] = [];
function track(store: ValkeyStore): ValkeyStore {
  stores.push(store);
  return store;
}
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
});

describeStoreContract('ValkeyStore on a real Redis server (the store contract)', {
  skipBecause: redisUrl() ? undefined : REDIS_MISSING,
  createStore: () => track(new ValkeyStore({ url: redisUrl(), keyPrefix: uniquePrefix() })),
  // Nothing listens on port 1: the connection is refused, and the client gives up after its retries.
  createUnreachableStore: () => {
    const store = track(new ValkeyStore({ url: 'redis://127.0.0.1:1' }));
    // The client reports each failed reconnect as an 'error' event; the test asserts on the rejections instead.
    (store.client as Redis).on('error', () => undefined);
    return store;
  },
});

describeStoreContract('ValkeyStore on a three-node Redis cluster, in cluster mode (the store contract)', {
  skipBecause: redisClusterUrl() ? undefined : REDIS_MISSING,
  createStore: () => track(new ValkeyStore({ url: redisClusterUrl(), cluster: true, keyPrefix: uniquePrefix() })),
});
