const TOKEN_BYTES = 12;
const TOKENS_PER_FILL = 256;
// One call into the CSPRNG per 256 tokens: a call per claim cost more than the rest of a replay.
// Not per-call state: each token is handed out once, whichever invocation asks. The global Web
// Crypto (Node 19+) fills it: the same CSPRNG as `node:crypto`, without an import in the bundle.
const pool = Buffer.allocUnsafe(TOKEN_BYTES * TOKENS_PER_FILL);
let offset = pool.length;

/** A fresh random owner token for a claim: 96 bits, 16 base64url characters. */
export function ownerToken(): string {
  if (offset === pool.length) {
    crypto.getRandomValues(pool);
    offset = 0;
  }
  const token = pool.toString('base64url', offset, offset + TOKEN_BYTES);
  offset += TOKEN_BYTES;
  return token;
}
