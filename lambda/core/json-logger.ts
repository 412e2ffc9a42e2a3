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

// Errors stringify as `{}`; their name, message and cause say what went wrong. An undefined
// cause is left out by JSON.stringify itself.
function errorsAsText(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, cause: value.cause } : value;
}
