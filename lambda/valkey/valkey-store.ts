import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'iovalkey';
import { IdempotencyError, IdempotencyStoreError } from '../core/errors.js';
import type { EncodedResult, UnstorableReason } from '../core/result-codec.js';
import type { ClaimRecord, ClaimResult, CompletionRecord, IdempotencyRecord, IdempotencyStore } from '../core/store.js';
import {
  COMPLETED,
  FINGERPRINT_ATTRIBUTE,
  IN_PROGRESS,
  LEASE_ATTRIBUTE,
  OWNER_ATTRIBUTE,
  RESULT_ATTRIBUTE,
  RESULT_UNAVAILABLE_ATTRIBUTE,
  STATUS_ATTRIBUTE,
  TTL_ATTRIBUTE,
} from '../core/table-schema.js';
import type { StepRecord, StepStore, StepWriteResult } from '../steps/step-store.js';
import {
  BYTES_FIELD,
  COMPLETE_IF_OWNER,
  EXTEND_EXPIRY,
  PUT_UNLESS_LIVE,
  READ,
  RELEASE_IF_OWNER,
  type LuaScript,
} from './valkey-scripts.js';

/** An argument of a Valkey/Redis command. */
export type CommandArgument = string | Buffer | number;

/**
 * What the store needs of a client: the generic command call that answers with raw bytes.
 * An `iovalkey` or `ioredis` `Redis` or `Cluster` instance has it.
 */
export interface ValkeyClient {
  callBuffer(command: string, ...args: CommandArgument[]): Promise<unknown>;
}

/** Options for {@link ValkeyStore}: a `url`, or a `client` you created. */
export interface ValkeyStoreOptions {
  /**
   * Where the server is: `redis://host:6379`, or `rediss://host:6379` for TLS (ElastiCache
   * Serverless requires it). A user name and password in the URL are used for `AUTH`. The store
   * creates an `iovalkey` client with {@link clientOptions}. Give `url` or `client`, not both.
   * @default - none: `client` must be given
   */
  readonly url?: string;
  /**
   * Whether the server at `url` runs in cluster mode (ElastiCache Serverless does, as does any
   * cluster-mode-enabled ElastiCache for Valkey/Redis): the store then creates an `iovalkey`
   * `Cluster` with `url` as its startup node.
   * @default false
   */
  readonly cluster?: boolean;
  /**
   * Options for the client the store creates from `url` (`redisOptions` of the cluster client in
   * cluster mode), merged over the store's defaults: `maxRetriesPerRequest: 2`, so a request
   * to an unreachable server fails in well under a second instead of waiting through 20 reconnects.
   * @default - the defaults above
   */
  readonly clientOptions?: RedisOptions;
  /**
   * A client you created: an `iovalkey` (or `ioredis`) `Redis` or `Cluster`. Give `url` or
   * `client`, not both. Do not let it read from replicas for the store: the store's reads
   * are scripts, which clients send to primaries, but a client of your own could be told otherwise.
   * @default - one created from `url`
   */
  readonly client?: ValkeyClient;
  /**
   * Prepended to every record id to make its key, so records never mix with other data on the
   * server. Two applications sharing a server share records only if they share the prefix
   * and the operation names.
   * @default 'retry-safe:'
   */
  readonly keyPrefix?: string;
}

/** The key prefix unless `keyPrefix` names another. */
export const DEFAULT_KEY_PREFIX = 'retry-safe:';

// A request to a server that is down fails after this many reconnects, not the client's 20.
const DEFAULT_CLIENT_OPTIONS: RedisOptions = { maxRetriesPerRequest: 2 };

/**
 * Stores idempotency records (and step records) in Valkey or Redis: one hash per record, written
 * only by server-side Lua scripts, so a claim, a completion and a release are each one atomic,
 * conditional round trip, as they are in DynamoDB. Records expire on the server at the end of
 * their expiry second, and are also treated as absent past it in code, whatever the server did.
 * Results are stored as the DynamoDB store stores them (JSON text, or compressed bytes).
 *
 * Import it from `retry-safe/valkey`; it needs the `iovalkey` package.
 *
 * @example
 * import { ValkeyStore } from 'retry-safe/valkey';
 * const store = new ValkeyStore({ url: process.env.CACHE_URL, cluster: true }); // rediss://...:6379
 * export const handler = makeIdempotent(charge, { store, key: (e) => e.orderId });
 */
export class ValkeyStore implements IdempotencyStore, StepStore {
  /** The client every command is sent with. */
  readonly client: ValkeyClient;
  /** Prepended to every record id. */
  readonly keyPrefix: string;
  private readonly ownClient?: Redis | Cluster;

  constructor(options: ValkeyStoreOptions) {
    const { url, client } = options ?? {};
    if ((url === undefined) === (client === undefined)) {
      throw new IdempotencyError('ValkeyStore needs { url } (redis:// or rediss://) or { client }, exactly one of them');
    }
    if (client !== undefined && typeof client?.callBuffer !== 'function') {
      throw new IdempotencyError('ValkeyStore: options.client must be an iovalkey or ioredis client (it has no callBuffer method)');
    }
    const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    if (typeof keyPrefix !== 'string') {
      throw new IdempotencyError(`ValkeyStore: options.keyPrefix must be a string, got ${typeof keyPrefix}`);
    }
    this.keyPrefix = keyPrefix;
    if (url !== undefined) {
      this.ownClient = createClient(url, options.cluster ?? false, options.clientOptions);
      this.client = this.ownClient;
    } else {
      this.client = client as ValkeyClient;
    }
  }

  async claim(record: ClaimRecord, nowMs: number): Promise<ClaimResult> {
    const answer = await this.put('claim', record, nowMs, 'claim');
    return answer === true ? { claimed: true } : { claimed: false, existing: answer };
  }

  async complete(record: CompletionRecord, owner: string): Promise<boolean> {
    return (await this.run(COMPLETE_IF_OWNER, 'complete', record.id, owner, expireAtMs(record.expiresAtSeconds), ...completedFields(record))) === 1;
  }

  async release(id: string, owner: string): Promise<boolean> {
    return (await this.run(RELEASE_IF_OWNER, 'release', id, owner)) === 1;
  }

  async readStep(id: string): Promise<StepRecord | undefined> {
    return fromReply(id, await this.run(READ, 'step read', id));
  }

  async startStep(record: StepRecord, nowMs: number): Promise<StepWriteResult> {
    const answer = await this.put('start', record, nowMs, 'step start');
    return answer === true ? { written: true } : { written: false, existing: answer };
  }

  async recordStep(record: StepRecord, nowMs: number): Promise<StepWriteResult> {
    const answer = await this.put('record', record, nowMs, 'step record');
    return answer === true ? { written: true } : { written: false, existing: answer };
  }

  async finishStep(record: StepRecord, owner: string): Promise<boolean> {
    return (await this.run(COMPLETE_IF_OWNER, 'step finish', record.id, owner, expireAtMs(record.expiresAtSeconds), ...completedFields(record))) === 1;
  }

  async extendStep(id: string, expiresAtSeconds: number): Promise<void> {
    await this.run(EXTEND_EXPIRY, 'step extend', id, expiresAtSeconds, expireAtMs(expiresAtSeconds));
  }

  /** Closes the connection the store opened from `url`; a client you passed is yours to close. */
  async close(): Promise<void> {
    await this.ownClient?.quit();
  }

  /** Writes a whole record unless a live one is in the way; answers `true` or the record in the way. */
  private async put(
    mode: 'claim' | 'start' | 'record',
    record: IdempotencyRecord,
    nowMs: number,
    operation: string,
  ): Promise<true | IdempotencyRecord | undefined> {
    const reply = await this.run(
      PUT_UNLESS_LIVE,
      operation,
      record.id,
      mode,
      nowMs,
      Math.floor(nowMs / 1000),
      record.fingerprint,
      expireAtMs(record.expiresAtSeconds),
      ...recordFields(record),
    );
    return reply === 1 ? true : fromReply(record.id, reply);
  }

  /** Runs a script on the record's key: EVALSHA, and EVAL once if the server does not have it cached yet. */
  private async run(script: LuaScript, operation: string, id: string, ...args: CommandArgument[]): Promise<unknown> {
    const key = this.keyPrefix + id;
    try {
      try {
        return await this.client.callBuffer('EVALSHA', script.sha, 1, key, ...args);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return await this.client.callBuffer('EVAL', script.source, 1, key, ...args);
      }
    } catch (error) {
      throw new IdempotencyStoreError(operation, { cause: error });
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * The server expires a record at the first millisecond the engine counts it expired: the end of
 * its `expiresAtSeconds` second (records count as live while `expiresAtSeconds >= now in seconds`).
 */
function expireAtMs(expiresAtSeconds: number): number {
  return (expiresAtSeconds + 1) * 1000;
}

/** The field/value pairs of a whole record, as HSET takes them. */
function recordFields(record: IdempotencyRecord): CommandArgument[] {
  const fields: CommandArgument[] = [
    STATUS_ATTRIBUTE,
    record.status === 'completed' ? COMPLETED : IN_PROGRESS,
    FINGERPRINT_ATTRIBUTE,
    record.fingerprint,
    TTL_ATTRIBUTE,
    record.expiresAtSeconds,
  ];
  if (record.owner !== undefined) fields.push(OWNER_ATTRIBUTE, record.owner);
  if (record.leaseExpiresAtMs !== undefined) fields.push(LEASE_ATTRIBUTE, record.leaseExpiresAtMs);
  fields.push(...resultFields(record.result, record.resultUnavailable));
  return fields;
}

/** The field/value pairs a completion sets over a claim. */
function completedFields(record: CompletionRecord): CommandArgument[] {
  return [STATUS_ATTRIBUTE, COMPLETED, TTL_ATTRIBUTE, record.expiresAtSeconds, ...resultFields(record.result, record.resultUnavailable)];
}

function resultFields(result: EncodedResult, resultUnavailable: UnstorableReason | undefined): CommandArgument[] {
  const fields: CommandArgument[] = [];
  if (typeof result === 'string') fields.push(RESULT_ATTRIBUTE, result);
  else if (result !== undefined) fields.push(BYTES_FIELD, Buffer.from(result.buffer, result.byteOffset, result.byteLength));
  if (resultUnavailable) fields.push(RESULT_UNAVAILABLE_ATTRIBUTE, resultUnavailable);
  return fields;
}

/** Reads a record from an HGETALL reply (alternating field names and values, as bytes); `undefined` if empty. */
function fromReply(id: string, reply: unknown): IdempotencyRecord | undefined {
  if (!Array.isArray(reply) || reply.length === 0) return undefined;
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1] as Buffer);
  const text = (field: string) => fields.get(field)?.toString('utf8');
  const bytes = fields.get(BYTES_FIELD);
  const lease = text(LEASE_ATTRIBUTE);
  return {
    // The id is the key less its prefix: known to the caller, so not stored twice.
    id,
    status: text(STATUS_ATTRIBUTE) === COMPLETED ? 'completed' : 'in-progress',
    fingerprint: text(FINGERPRINT_ATTRIBUTE) ?? '',
    expiresAtSeconds: Number(text(TTL_ATTRIBUTE) ?? 0),
    leaseExpiresAtMs: lease === undefined ? undefined : Number(lease),
    owner: text(OWNER_ATTRIBUTE),
    result: bytes ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : text(RESULT_ATTRIBUTE),
    resultUnavailable: text(RESULT_UNAVAILABLE_ATTRIBUTE) as UnstorableReason | undefined,
  };
}

/** Creates the client for `url`: a `Redis`, or a `Cluster` with `url` as its startup node. */
function createClient(url: string, cluster: boolean, clientOptions: RedisOptions | undefined): Redis | Cluster {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new IdempotencyError('ValkeyStore: options.url is not a URL; use redis://host:6379 or rediss://host:6379', { cause: error });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new IdempotencyError(`ValkeyStore: options.url must start with redis:// or rediss:// (TLS), got ${parsed.protocol}//`);
  }
  const options: RedisOptions = {
    ...DEFAULT_CLIENT_OPTIONS,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    ...clientOptions,
  };
  const host = parsed.hostname;
  const port = parsed.port ? Number(parsed.port) : 6379;
  if (!cluster) return new Redis({ ...options, host, port });
  const clusterOptions: ClusterOptions = {
    redisOptions: options,
    // The cluster's own node addresses are used as they are: TLS certificates name the host,
    // which a resolved IP address would not match (ElastiCache's advice for TLS clusters).
    dnsLookup: (address, callback) => callback(null, address),
  };
  return new Cluster([{ host, port }], clusterOptions);
}
