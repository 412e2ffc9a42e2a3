import { makeIdempotent } from 'retry-safe';
import { ValkeyStore, type ValkeyStoreOptions } from 'retry-safe/valkey';

// Type-checked and compiled, not invoked: it shows the retry-safe/valkey entry resolves under
// NodeNext with iovalkey installed as the peer, and that its declarations compile strictly.
const options: ValkeyStoreOptions = { url: process.env.CACHE_URL ?? 'rediss://localhost:6379', cluster: true };

export const handler = makeIdempotent(async (event: { orderId: string }) => ({ orderId: event.orderId }), {
  store: new ValkeyStore({ ...options, clientOptions: { lazyConnect: true } }),
  name: 'orders',
  key: (event) => event.orderId,
});
