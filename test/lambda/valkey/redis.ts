import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';

/** Why the Valkey tests skip: no redis-server on this machine (CI installs it and never skips). */
export const REDIS_MISSING = 'redis-server is not installed here (apt-get install -y redis-server); .ci/run installs it';

/** The standalone Redis this run started, or `''` without redis-server. */
export const redisUrl = (): string => inject('redisUrl');

/** One node of the three-node Redis cluster this run started, or `''` without redis-server. */
export const redisClusterUrl = (): string => inject('redisClusterUrl');

/** A key prefix of its own for each store, so test files sharing the server never share records. */
export function uniquePrefix(): string {
  return `test-${randomUUID()}:`;
}
