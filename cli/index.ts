#!/usr/bin/env node
/**
 * The `retry-safe` command: inspect a key's record, release a stuck claim, list stuck records.
 * `retry-safe --help` for the flags; exit codes in `exit-codes.ts` and docs/operations.md.
 */
import { createInterface } from 'node:readline/promises';
import { runCli } from './main.js';

async function confirmOnTerminal(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  ...(process.stdin.isTTY ? { confirm: confirmOnTerminal } : {}),
  env: process.env,
});
