/**
 * retry-safe/valkey: an idempotency store on Valkey or Redis (ElastiCache included), for teams
 * that keep idempotency state there. Its own entry so that DynamoDB-only users never bundle a
 * Redis client; it needs the `iovalkey` package (a peer dependency).
 */
export {
  ValkeyStore,
  DEFAULT_KEY_PREFIX,
  type ValkeyStoreOptions,
  type ValkeyClient,
  type CommandArgument,
} from './valkey-store.js';
