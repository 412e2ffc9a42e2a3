import { describe, expect, it } from 'vitest';
import {
  IdempotencyError,
  IdempotencyInProgressError,
  IdempotencyStoreError,
} from '../../../lambda/index.js';

describe('error names', () => {
  it('name the library classes by their literal names', () => {
    expect(new IdempotencyError('x').name).toBe('IdempotencyError');
    expect(new IdempotencyInProgressError(1500).name).toBe('IdempotencyInProgressError');
    expect(new IdempotencyStoreError('claim').name).toBe('IdempotencyStoreError');
  });

  it('name a subclass of your own by its class, as errors are', () => {
    class ChargeRejectedError extends IdempotencyError {}
    const error = new ChargeRejectedError('rejected');
    expect(error.name).toBe('ChargeRejectedError');
    expect(error).toBeInstanceOf(IdempotencyError);
    expect(String(error)).toBe('ChargeRejectedError: rejected');
  });

  it('keep the message and the cause', () => {
    const cause = new Error('socket hang up');
    const error = new IdempotencyError('store failed', { cause });
    expect(error.message).toBe('store failed');
    expect(error.cause).toBe(cause);
  });
});
