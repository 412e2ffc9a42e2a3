import { createHash } from 'node:crypto';
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

/**
 * How records live in Valkey/Redis: one hash per record, its fields named as the DynamoDB
 * table's attributes (`s`, `o`, `f`, `l`, `expiration`, `r`, `u`), plus {@link BYTES_FIELD} for a
 * result stored as bytes. Every script reads and writes exactly one key, so a record never spans
 * two cluster slots and no hash tags are needed.
 */

/** The hash field holding a result stored as bytes (compressed JSON or a structured clone); text goes in `r`. */
export const BYTES_FIELD = 'b';

/** A script the server caches under its SHA-1: sent once per server as EVAL, then as EVALSHA. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

// Field names and status values come from the one table contract, quoted as Lua strings.
const q = (value: string) => `'${value}'`;
const S = q(STATUS_ATTRIBUTE);
const O = q(OWNER_ATTRIBUTE);
const F = q(FINGERPRINT_ATTRIBUTE);
const L = q(LEASE_ATTRIBUTE);
const E = q(TTL_ATTRIBUTE);
const R = q(RESULT_ATTRIBUTE);
const B = q(BYTES_FIELD);
const U = q(RESULT_UNAVAILABLE_ATTRIBUTE);
const P = q(IN_PROGRESS);
const C = q(COMPLETED);

/**
 * Writes a whole record unless a live one stands in the way; then returns that one (HGETALL).
 * ARGV: mode, nowMs, nowS, fingerprint, expire-at ms, then field/value pairs.
 * - `claim`: a live record gives way only if it is in progress for the same fingerprint and its
 *   lease lapsed before nowMs (a crashed invocation's claim).
 * - `start`: a live record never gives way.
 * - `record`: a live record gives way if it is in progress (started) for the same fingerprint.
 * A record past its `expiration` second is not live, whether or not the server has expired it.
 */
export const PUT_UNLESS_LIVE = script(
  'put',
  `local current = redis.call('HMGET', KEYS[1], ${S}, ${E}, ${L}, ${F})
if current[1] then
  if tonumber(current[2]) >= tonumber(ARGV[3]) then
    local mode = ARGV[1]
    local startedForSamePayload = current[1] == ${P} and current[4] == ARGV[4]
    local lease = tonumber(current[3])
    local leaseLapsed = lease ~= nil and lease < tonumber(ARGV[2])
    local givesWay = (mode == 'claim' and startedForSamePayload and leaseLapsed)
      or (mode == 'record' and startedForSamePayload)
    if not givesWay then return redis.call('HGETALL', KEYS[1]) end
  end
  redis.call('DEL', KEYS[1])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
return 1`,
);

/**
 * Completes the in-progress record held by ARGV[1]: drops the lease and any old result, sets
 * the field/value pairs from ARGV[3] on, and the server expiry to ARGV[2] (ms). The owner stays,
 * so a retried completion of a record already completed by the same owner answers 1 too.
 * Answers 0 (writing nothing) when another owner holds the record, or none exists.
 */
export const COMPLETE_IF_OWNER = script(
  'complete',
  `local current = redis.call('HMGET', KEYS[1], ${S}, ${O})
if current[2] ~= ARGV[1] then return 0 end
if current[1] == ${C} then return 1 end
if current[1] ~= ${P} then return 0 end
redis.call('HDEL', KEYS[1], ${L}, ${R}, ${B}, ${U})
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1`,
);

/** Deletes the record if it is in progress and held by ARGV[1]; answers 1 if it did. */
export const RELEASE_IF_OWNER = script(
  'release',
  `local current = redis.call('HMGET', KEYS[1], ${S}, ${O})
if current[1] == ${P} and current[2] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`,
);

/** Moves an existing record's expiry to ARGV[1] seconds (server expiry ARGV[2] ms) if that is later. */
export const EXTEND_EXPIRY = script(
  'extend',
  `local expiration = tonumber(redis.call('HGET', KEYS[1], ${E}))
if expiration and expiration < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], ${E}, ARGV[1])
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
  return 1
end
return 0`,
);

/**
 * Reads a record. A script rather than HGETALL on purpose: clients route scripts to the
 * primary, never to a replica (a cluster client with `scaleReads` would send HGETALL to one),
 * so the read sees every write acknowledged before it.
 */
export const READ = script('read', `return redis.call('HGETALL', KEYS[1])`);
