import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/** One parsed clause of an update expression: `SET a = :v` or `REMOVE a`. */
type UpdateAction = { readonly set: string; readonly value: string } | { readonly remove: string };

/**
 * An in-process stand-in for DynamoDB, installed over a client's `send`, so a benchmark
 * measures the library and not the network, the SDK's HTTP stack or DynamoDB itself.
 *
 * Deliberately small: `PutItem` succeeds on a new key and fails with
 * `ConditionalCheckFailedException` (carrying the old item, as with `ALL_OLD`) on an existing
 * one; other conditions are not evaluated, so callers must order their calls as a real table
 * would answer them. `UpdateItem` applies plain `SET` and `REMOVE` clauses. The time spent
 * inside `send` is summed in `sendNs`, so it can be taken out of a measurement.
 */
export class FakeDynamoDB {
  /** Nanoseconds spent answering requests since the last {@link resetClock}. */
  sendNs = 0n;
  private readonly tables = new Map<string, Map<string, Item>>();
  private readonly parsed = new Map<string, UpdateAction[]>();

  /** Answers `client.send` from this fake from now on. */
  install(client: DynamoDBClient): void {
    const send = (command: unknown) => this.timed(command);
    Object.assign(client, { send });
  }

  /** Starts summing {@link sendNs} from zero. */
  resetClock(): void {
    this.sendNs = 0n;
  }

  private async timed(command: unknown): Promise<unknown> {
    // A real client answers after I/O, when the caller's await is already attached. Answering in
    // the same tick would reject a promise before anyone handles it, and Node's unhandled-rejection
    // tracking (about 4% of a replay's profile) would then be charged to both libraries.
    await undefined;
    const started = process.hrtime.bigint();
    try {
      return this.answer(command);
    } finally {
      this.sendNs += process.hrtime.bigint() - started;
    }
  }

  private answer(command: unknown): unknown {
    if (command instanceof PutItemCommand) {
      const { TableName, Item } = command.input;
      const table = this.table(TableName);
      const id = Item?.id?.S ?? '';
      const existing = table.get(id);
      if (existing && !this.equalitiesHold(existing, command.input.ConditionExpression, command.input.ExpressionAttributeValues)) {
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: existing,
        });
      }
      table.set(id, { ...Item });
      return { $metadata: {} };
    }
    if (command instanceof UpdateItemCommand) {
      const input = command.input;
      const item = this.table(input.TableName).get(input.Key?.id?.S ?? '');
      if (!item) throw new Error(`fake DynamoDB: UpdateItem on a missing item in ${input.TableName}`);
      const names = input.ExpressionAttributeNames ?? {};
      const values = input.ExpressionAttributeValues ?? {};
      for (const action of this.parse(input.UpdateExpression ?? '')) {
        if ('set' in action) item[names[action.set] ?? action.set] = values[action.value];
        else delete item[names[action.remove] ?? action.remove];
      }
      return { $metadata: {} };
    }
    if (command instanceof DeleteItemCommand) {
      this.table(command.input.TableName).delete(command.input.Key?.id?.S ?? '');
      return { $metadata: {} };
    }
    if (command instanceof GetItemCommand) {
      const item = this.table(command.input.TableName).get(command.input.Key?.id?.S ?? '');
      return { $metadata: {}, Item: item };
    }
    throw new Error(`fake DynamoDB: ${(command as object).constructor.name} is not supported`);
  }

  /**
   * Whether a condition made only of `attribute = :value` terms joined by AND (a completion's
   * "held by this owner") holds on `item`. Any other condition (a claim's, which asks for a free
   * or lapsed record) counts as failing on an existing item: the fake's claims never take over.
   */
  private equalitiesHold(item: Item, condition: string | undefined, values: Item | undefined): boolean {
    if (!condition || !/^\w+ = :\w+( AND \w+ = :\w+)*$/.test(condition)) return false;
    return condition.split(' AND ').every((term) => {
      const [name, value] = term.split(' = ');
      return item[name]?.S !== undefined && item[name]?.S === values?.[value]?.S;
    });
  }

  private table(name: string | undefined): Map<string, Item> {
    const key = name ?? '';
    let table = this.tables.get(key);
    if (!table) {
      table = new Map();
      this.tables.set(key, table);
    }
    return table;
  }

  // Parsed once per distinct expression: the fake's own cost should stay near zero.
  private parse(expression: string): UpdateAction[] {
    let actions = this.parsed.get(expression);
    if (actions) return actions;
    actions = [];
    for (const clause of expression.split(/\b(?=SET |REMOVE )/)) {
      const [verb, ...rest] = clause.trim().split(' ');
      const body = rest.join(' ');
      for (const part of body.split(',')) {
        const text = part.trim();
        if (!text) continue;
        if (verb === 'SET') {
          const [path, value] = text.split('=').map((s) => s.trim());
          actions.push({ set: path, value });
        } else if (verb === 'REMOVE') {
          actions.push({ remove: text });
        }
      }
    }
    this.parsed.set(expression, actions);
    return actions;
  }
}
