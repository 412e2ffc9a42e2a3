/** Median and 95th percentile of a set of samples. */
export interface Summary {
  readonly median: number;
  readonly p95: number;
  readonly samples: number;
}

/** Summarizes samples (any unit) by nearest-rank percentiles. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { median: Number.NaN, p95: Number.NaN, samples: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  return { median: rank(0.5), p95: rank(0.95), samples: sorted.length };
}
