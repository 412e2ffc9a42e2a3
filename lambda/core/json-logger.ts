import type { IdempotencyLogger } from './options.js';

/**
 * The default logger: one JSON object per line on the console (`level`, `message` and the
 * details), which CloudWatch Logs Insights reads field by field. Details hold hashed record
 * ids, never keys, payloads or results; an error is written as its name and message.
 */
export const jsonConsoleLogger: IdempotencyLogger = {
  warn: (message, details) => console.warn(jsonLine('WARN', message, details)),
  error: (message, details) => console.error(jsonLine('ERROR', message, details)),
};

function jsonLine(level: string, message: string, details: Record<string, unknown> | undefined): string {
  return JSON.stringify({ level, message, ...details }, errorsAsText);
}

// Errors stringify as `{}`; their name, message and cause say what went wrong.
function errorsAsText(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const { name, message, cause } = value;
  return cause === undefined ? { name, message } : { name, message, cause };
}
