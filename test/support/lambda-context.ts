import type { Context } from 'aws-lambda';

/** A Lambda context for tests, with a fixed remaining time. */
export function lambdaContext(options: { remainingMs?: number; functionName?: string } = {}): Context {
  const remainingMs = options.remainingMs ?? 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: options.functionName ?? 'test-function',
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${options.functionName ?? 'test-function'}`,
    memoryLimitInMB: '128',
    awsRequestId: 'request-id',
    logGroupName: '/aws/lambda/test-function',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A logger that records what it was given, for asserting on logged (not thrown) failures. */
export function recordingLogger(): {
  warn: (message: string, details?: Record<string, unknown>) => void;
  error: (message: string, details?: Record<string, unknown>) => void;
  warnings: string[];
  errors: string[];
} {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    warn: (message) => void warnings.push(message),
    error: (message) => void errors.push(message),
  };
}
