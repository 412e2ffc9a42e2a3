import { parseArgs } from 'node:util';

/** The commands the CLI knows. */
export const COMMANDS = ['inspect', 'release', 'stuck'] as const;
/** One of {@link COMMANDS}. */
export type Command = (typeof COMMANDS)[number];

/** The parsed command line. */
export interface CliArgs {
  readonly command: Command;
  /** The idempotency table (`--table`, else `IDEMPOTENCY_TABLE_NAME`). */
  readonly table: string;
  readonly name?: string;
  readonly key?: string;
  readonly scope?: string;
  /** Step names (`--step`, repeatable) whose records `inspect` shows or `release` deletes. */
  readonly steps: readonly string[];
  /** `inspect`: find the step records with a Scan instead of by name. */
  readonly scanSteps: boolean;
  readonly region?: string;
  readonly endpoint?: string;
  readonly json: boolean;
  readonly yes: boolean;
  readonly force: boolean;
}

/** A command line the CLI cannot run; exits with the usage code. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** The help text. */
export const USAGE = `Usage: retry-safe <command> [flags]

Commands:
  inspect   show the record of a key: status, owner, lease and retention, result size, steps
  release   delete the in-progress claim of a key (or a step's record) so the next call runs
  stuck     list in-progress records past their lease and started at-most-once steps (Scan)

Flags:
  --table <name>     the idempotency table (default: $IDEMPOTENCY_TABLE_NAME)
  --name <name>      the operation name (options.name, else the Lambda function's name)
  --key <key>        the idempotency key as the handler read it (for HTTP: the header's string)
  --scope <scope>    the scope the key was stored under (httpIdempotency's caller scope)
  --step <name>      a step of that key (repeatable): inspect shows it, release deletes it
  --scan-steps       inspect: find the key's step records by Scan (costs a read of the table)
  --region <region>  AWS region (default: the SDK's, e.g. $AWS_REGION)
  --endpoint <url>   DynamoDB endpoint, e.g. http://localhost:8000 for DynamoDB Local
  --json             machine-readable output on stdout
  --yes              release: do not ask for confirmation
  --force            release: also a completed record, or a claim whose lease is live
  --help             this text

Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 refused, 5 changed meanwhile (nothing deleted).`;

/** Parses argv (without node and the script), or throws {@link CliUsageError}; `undefined` for `--help`. */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliArgs | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        table: { type: 'string' },
        name: { type: 'string' },
        key: { type: 'string' },
        scope: { type: 'string' },
        step: { type: 'string', multiple: true },
        'scan-steps': { type: 'boolean' },
        region: { type: 'string' },
        endpoint: { type: 'string' },
        json: { type: 'boolean' },
        yes: { type: 'boolean' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new CliUsageError((error as Error).message, { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  const [command, ...extra] = positionals;
  if (!command) throw new CliUsageError('no command; use inspect, release or stuck');
  if (!isCommand(command)) throw new CliUsageError(`unknown command ${JSON.stringify(command)}; use inspect, release or stuck`);
  if (extra.length > 0) throw new CliUsageError(`unexpected argument ${JSON.stringify(extra[0])}; values go after their flag`);
  const table = values.table ?? env.IDEMPOTENCY_TABLE_NAME;
  if (!table) throw new CliUsageError('no table: pass --table or set IDEMPOTENCY_TABLE_NAME');
  if (command !== 'stuck') {
    if (values.name === undefined) throw new CliUsageError(`${command} needs --name (the operation name)`);
    if (values.key === undefined) throw new CliUsageError(`${command} needs --key (the idempotency key)`);
  }
  if (values['scan-steps'] && command !== 'inspect') throw new CliUsageError('--scan-steps is for inspect');
  return {
    command,
    table,
    name: values.name,
    key: values.key,
    scope: values.scope,
    steps: values.step ?? [],
    scanSteps: values['scan-steps'] ?? false,
    region: values.region,
    endpoint: values.endpoint,
    json: values.json ?? false,
    yes: values.yes ?? false,
    force: values.force ?? false,
  };
}

function isCommand(value: string): value is Command {
  return (COMMANDS as readonly string[]).includes(value);
}
