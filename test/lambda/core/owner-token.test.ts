import { describe, expect, it } from 'vitest';
import { ownerToken } from '../../../lambda/core/owner-token.js';

describe('ownerToken', () => {
  it('is 16 base64url characters (96 random bits)', () => {
    expect(ownerToken()).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('never repeats, across many refills of its random pool', () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 20_000; i++) tokens.add(ownerToken());
    expect(tokens.size).toBe(20_000);
  });
});
