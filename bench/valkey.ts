import { randomUUID } from 'node:crypto';
import { Redis } from 'iovalkey';
import { makeIdempotent } from '../lambda/index.js';
import { ValkeyStore, type CommandArgument, type ValkeyClient } from '../lambda/valkey/index.js';
import { findRedisServer, startRedisServer } from '../scripts/redis-server.js';
import { benchContext } from './contenders.js';
import { summarize, type Summary } from './stats.js';

/** The Valkey store on a local redis-server: latency and commands per call, and a bare SET for reference. */
export interface ValkeyFigures {
  readonly firstExecution: Summary;
  readonly replay: Summary;
  /** One `SET` on the same server: one round trip, the reference. */
  readonly bareSet: Summary;
  readonly commandsPerFirstExecution: number;
  readonly commandsPerReplay: number;
  readonly calls: number;
}

async function ms(call: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await call();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Runs `calls` first executions and `calls` replays through `makeIdempotent` with a `ValkeyStore`; `undefined` without redis-server. */
export async function measureValkey(calls: number, warmupCalls: number): Promise<ValkeyFigures | undefined> {
  if (!findRedisServer()) return undefined;
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  try {
    let commands = 0;
    const counting: ValkeyClient = {
      callBuffer: (command: string, ...args: CommandArgument[]) => {
        commands++;
        return redis.callBuffer(command, ...args) as Promise<unknown>;
      },
    };
    const store = new ValkeyStore({ client: counting, keyPrefix: `bench-${randomUUID()}:` });
    const handler = makeIdempotent(async (event: { paymentId: string; amountCents: number }) => ({ chargeId: `ch_${event.paymentId}`, amountCents: event.amountCents }), {
      store,
      name: 'payments',
      key: (event) => event.paymentId,
    });
    const event = () => ({ paymentId: randomUUID(), amountCents: 1999 });
    for (let i = 0; i < warmupCalls; i++) {
      const e = event();
      await handler(e, benchContext());
      await handler(e, benchContext());
      await redis.set(`bench-bare-${i}`, 'x');
    }
    const first: number[] = [];
    const replay: number[] = [];
    const bare: number[] = [];
    let firstCommands = 0;
    let replayCommands = 0;
    for (let i = 0; i < calls; i++) {
      const e = event();
      commands = 0;
      first.push(await ms(() => handler(e, benchContext())));
      firstCommands += commands;
      commands = 0;
      replay.push(await ms(() => handler(e, benchContext())));
      replayCommands += commands;
      bare.push(await ms(() => redis.set(`bench-bare-${i}`, 'x')));
    }
    return {
      firstExecution: summarize(first),
      replay: summarize(replay),
      bareSet: summarize(bare),
      commandsPerFirstExecution: firstCommands / calls,
      commandsPerReplay: replayCommands / calls,
      calls,
    };
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

/** The Valkey figures as a markdown section. */
export function valkeyTable(figures: ValkeyFigures): string {
  const f = (n: number) => n.toFixed(2);
  return [
    `### ValkeyStore on a local redis-server (${figures.calls} calls each)`,
    '',
    '| scenario | commands per call | median ms | p95 ms |',
    '| --- | --- | --- | --- |',
    `| first execution (claim, complete) | ${figures.commandsPerFirstExecution} | ${f(figures.firstExecution.median)} | ${f(figures.firstExecution.p95)} |`,
    `| replay (claim answered by the record) | ${figures.commandsPerReplay} | ${f(figures.replay.median)} | ${f(figures.replay.p95)} |`,
    `| reference: one SET | 1 | ${f(figures.bareSet.median)} | ${f(figures.bareSet.p95)} |`,
  ].join('\n');
}
