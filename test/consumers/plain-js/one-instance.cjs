// require() and import() must load the same module instance: step() finds its run through
// module state, and `instanceof` checks on errors compare classes. Two copies (the dual-package
// hazard of a separate CommonJS build) would break both.
const assert = require('node:assert/strict');

const required = require('retry-safe');
import('retry-safe').then((imported) => {
  assert.equal(required.IdempotencyError, imported.IdempotencyError, 'one IdempotencyError class');
  assert.equal(required.step, imported.step, 'one step()');
  assert.ok(new imported.IdempotencyInProgressError(1000) instanceof required.IdempotencyError);
  console.log(JSON.stringify({ node: process.version, oneInstance: true }));
});
