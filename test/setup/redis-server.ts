import type { TestProject } from 'vitest/node';
import { findRedisServer, startRedisCluster, startRedisServer } from '../../scripts/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://` URL of the standalone Redis this run started; empty when redis-server is not installed. */
    redisUrl: string;
    /** `redis://` URL of one node of the three-node Redis cluster this run started; empty when not installed. */
    redisClusterUrl: string;
  }
}

/**
 * Starts one standalone Redis and one three-node Redis cluster for the whole run, on free ports,
 * and stops them by their PIDs afterwards. Without the `redis-server` binary the Valkey tests
 * skip with a message, except in CI, where a missing server fails the run: `.ci/run` installs it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!findRedisServer()) {
    if (process.env.CI) throw new Error('redis-server is not installed; .ci/run should have installed it with apt-get');
    project.provide('redisUrl', '');
    project.provide('redisClusterUrl', '');
    return async () => undefined;
  }
  const [standalone, cluster] = await Promise.all([startRedisServer(), startRedisCluster(3)]);
  project.provide('redisUrl', standalone.url);
  project.provide('redisClusterUrl', cluster.url);
  return async () => {
    await Promise.all([standalone.stop(), cluster.stop()]);
  };
}
