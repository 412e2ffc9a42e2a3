import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonConsoleLogger } from '../../../lambda/core/json-logger.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the default logger', () => {
  it('writes a warning as one JSON line with its level, message and details', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);

    jsonConsoleLogger.warn('retry-safe: lease lapsed', { id: 'payments#abc' });

    expect(warn.mock.calls).toEqual([['{"level":"WARN","message":"retry-safe: lease lapsed","id":"payments#abc"}']]);
  });

  it('writes an error as its name and message, and a cause only when it has one', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const cause = new TypeError('socket hang up');

    jsonConsoleLogger.error('retry-safe: claim not released', { id: 'p#1', error: new Error('store down', { cause }) });
    jsonConsoleLogger.error('retry-safe: claim not released', { id: 'p#2', error: new RangeError('bad') });

    expect(error.mock.calls.map(([line]) => JSON.parse(line as string) as unknown)).toEqual([
      {
        level: 'ERROR',
        message: 'retry-safe: claim not released',
        id: 'p#1',
        error: { name: 'Error', message: 'store down', cause: { name: 'TypeError', message: 'socket hang up' } },
      },
      { level: 'ERROR', message: 'retry-safe: claim not released', id: 'p#2', error: { name: 'RangeError', message: 'bad' } },
    ]);
    expect(error.mock.calls[1][0]).not.toContain('cause');
  });
});
