import type { TestProject } from 'vitest/node';
import { findBinary, findRedisServer, startRedisCluster, startRedisServer, startRedisTlsServer } from '../../scripts/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://` URL of the standalone Redis this run started; empty when redis-server is not installed. */
    redisUrl: string;
    /** `redis://` URL of one node of the three-node Redis cluster this run started; empty when not installed. */
    redisClusterUrl: string;
    /** `rediss://localhost:<port>` of a TLS-only Redis; empty without redis-server or openssl. */
    redisTlsUrl: string;
    /** The PEM of the CA that signed the TLS server's certificate. */
    redisTlsCa: string;
  }
}

/**
 * Starts one standalone Redis, one three-node Redis cluster and (with openssl) one TLS-only Redis for the whole run, on free ports,
 * and stops them by their PIDs afterwards. Without the `redis-server` binary the Valkey tests
 * skip with a message, except in CI, where a missing server fails the run: `.ci/run` installs it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!findRedisServer()) {
    if (process.env.CI) throw new Error('redis-server is not installed; .ci/run should have installed it with apt-get');
    project.provide('redisUrl', '');
    project.provide('redisClusterUrl', '');
    project.provide('redisTlsUrl', '');
    project.provide('redisTlsCa', '');
    return async () => undefined;
  }
  const withTls = Boolean(findBinary('openssl'));
  const [standalone, cluster, tls] = await Promise.all([
    startRedisServer(),
    startRedisCluster(3),
    withTls ? startRedisTlsServer() : undefined,
  ]);
  project.provide('redisUrl', standalone.url);
  project.provide('redisClusterUrl', cluster.url);
  project.provide('redisTlsUrl', tls?.url ?? '');
  project.provide('redisTlsCa', tls?.ca ?? '');
  return async () => {
    await Promise.all([standalone.stop(), cluster.stop(), tls?.stop()]);
  };
}
