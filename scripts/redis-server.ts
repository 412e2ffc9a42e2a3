/**
 * A real Redis server for the Valkey store's tests (Valkey speaks the same protocol): Debian's
 * `redis-server` package, started on free loopback ports and stopped by its own PIDs. Used by the
 * test setup. `.ci/run` installs the package where it is missing.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'iovalkey';
import { freePort, spawnServer, stopServer } from './dynamodb-local.js';

const STARTUP_TIMEOUT_MS = 30_000;
/** Slots a Redis cluster divides between its primaries. */
const CLUSTER_SLOTS = 16_384;

/** Running Redis server processes. */
export interface RedisServers {
  /** `redis://127.0.0.1:<port>` of the first (or only) node. */
  readonly url: string;
  /** The ports of every node. */
  readonly ports: readonly number[];
  /** Stops the processes this module started (by their PIDs, never by name), and deletes their files. */
  stop(): Promise<void>;
}

/** A running TLS-only server and the CA certificate its certificate is signed by. */
export interface RedisTlsServer extends RedisServers {
  /** `rediss://localhost:<port>`: the certificate names `localhost`. */
  readonly url: string;
  /** The PEM of the test CA, to trust in the client. */
  readonly ca: string;
}

/** The `redis-server` binary on the PATH (or in /usr/sbin, /usr/bin), or `undefined` when not installed. */
export function findRedisServer(): string | undefined {
  return findBinary('redis-server');
}

/** A binary on the PATH (or in /usr/sbin, /usr/bin, /usr/local/bin), or `undefined`. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Starts one standalone server on a free port, in memory only (no RDB, no AOF). */
export async function startRedisServer(): Promise<RedisServers> {
  return startNodes(1, false);
}

/**
 * Starts a cluster of `primaries` nodes on free ports (no replicas), its slots split evenly,
 * and resolves once every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(primaries = 3): Promise<RedisServers> {
  const servers = await startNodes(primaries, true);
  try {
    await formCluster(servers.ports);
  } catch (error) {
    await servers.stop();
    throw error;
  }
  return servers;
}

/**
 * Starts one server that speaks TLS only, with a certificate for `localhost` signed by a CA made
 * for the run (with `openssl`), so a client must trust that CA to connect.
 */
export async function startRedisTlsServer(): Promise<RedisTlsServer> {
  const openssl = findBinary('openssl');
  if (!openssl) throw new Error('openssl not found: it makes the test certificates');
  const certs = mkdtempSync(join(tmpdir(), 'retry-safe-redis-tls-'));
  const run = (...args: string[]) => execFileSync(openssl, args, { cwd: certs, stdio: 'ignore' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=retry-safe test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
  execFileSync('sh', ['-c', 'printf "subjectAltName=DNS:localhost" > san.ext'], { cwd: certs });
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.ext', '-out', 'server.crt');
  const ca = readFileSync(join(certs, 'ca.crt'), 'utf8');
  const tls = { cert: join(certs, 'server.crt'), key: join(certs, 'server.key'), ca: join(certs, 'ca.crt'), caPem: ca };
  const servers = await startNodes(1, false, tls);
  return {
    ...servers,
    url: `rediss://localhost:${servers.ports[0]}`,
    ca,
    async stop() {
      await servers.stop();
      rmSync(certs, { recursive: true, force: true });
    },
  };
}

interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  readonly caPem: string;
}

async function startNodes(count: number, cluster: boolean, tls?: TlsFiles): Promise<RedisServers> {
  const binary = findRedisServer();
  if (!binary) throw new Error('redis-server not found: install it (Debian: apt-get install -y redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'retry-safe-redis-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopServer));
    rmSync(dir, { recursive: true, force: true });
  };
  const ports: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const args = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
      if (tls) {
        args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key);
        args.push('--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no');
      } else {
        args.push('--port', String(port));
      }
      if (cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`);
      const { child, log } = await spawnServer(binary, args, binary);
      children.push(child);
      await waitForPing(child, port, log, tls?.caPem);
      ports.push(port);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${ports[0]}`, ports, stop };
}

/** A short-lived connection for setting up a node, which fails at once rather than retrying. */
function adminClient(port: number, ca?: string): Redis {
  const client = new Redis({
    host: ca ? 'localhost' : '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...(ca ? { tls: { ca } } : {}),
  });
  // A refused connection while the server starts also rejects connect(), which is what is awaited.
  client.on('error', () => undefined);
  return client;
}

async function waitForPing(child: ChildProcess, port: number, output: () => string, ca?: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}:\n${output()}`);
    const client = adminClient(port, ca);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      // not listening yet
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server did not answer on port ${port} within ${STARTUP_TIMEOUT_MS} ms:\n${output()}`);
}

/** Gives each node an even share of the slots and its own config epoch, introduces them, and waits for `ok`. */
async function formCluster(ports: readonly number[]): Promise<void> {
  const clients = ports.map((port) => adminClient(port));
  try {
    await Promise.all(clients.map((c) => c.connect()));
    const share = Math.ceil(CLUSTER_SLOTS / ports.length);
    for (const [i, client] of clients.entries()) {
      const first = i * share;
      const last = Math.min(CLUSTER_SLOTS, first + share) - 1;
      await client.call('CLUSTER', 'ADDSLOTSRANGE', first, last);
      await client.call('CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
    }
    for (const port of ports.slice(1)) await clients[0].call('CLUSTER', 'MEET', '127.0.0.1', port);
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO') as Promise<string>));
      const ready = infos.every(
        (info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${ports.length}`),
      );
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`the Redis cluster did not form within ${STARTUP_TIMEOUT_MS} ms:\n${infos.join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    clients.forEach((c) => c.disconnect());
  }
}
