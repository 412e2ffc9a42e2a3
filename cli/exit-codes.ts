/** What the `retry-safe` CLI's exit status means; documented in docs/operations.md. */
export const EXIT = {
  /** Done: shown, released, or listed (`stuck` exits 0 whether or not it found records). */
  ok: 0,
  /** DynamoDB failed or something unexpected happened; the message says what. */
  error: 1,
  /** The command line is wrong (unknown command or flag, missing `--table`, `--name` or `--key`). */
  usage: 2,
  /** No record has this id (never claimed, released, or expired and deleted by TTL). */
  notFound: 3,
  /** `release` refused: a completed record or a live lease without `--force`, or the prompt was not confirmed. */
  refused: 4,
  /** `release` found the record changed between reading and deleting it (a new claim, a completion): nothing was deleted. */
  changed: 5,
} as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
