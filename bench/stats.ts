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

/** The middle, lowest and highest of one figure measured once per round. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Spread of per-round values (the median of an even count is the mean of the middle two). */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}
