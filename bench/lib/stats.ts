/** Small statistics over timing samples. Samples are never trimmed or filtered. */

/** The q-quantile (0..1) of `samples` by the nearest-rank method; `samples` need not be sorted. */
export function quantile(samples: ArrayLike<number>, q: number): number {
  if (samples.length === 0) throw new RangeError('no samples');
  let sorted = Float64Array.from(samples).sort();
  let rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(samples: ArrayLike<number>): number {
  if (samples.length === 0) throw new RangeError('no samples');
  let sorted = Float64Array.from(samples).sort();
  let mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Summary {
  n: number;
  median: number;
  p99: number;
  min: number;
  max: number;
}

export function summarize(samples: ArrayLike<number>): Summary {
  let sorted = Float64Array.from(samples).sort();
  return {
    n: sorted.length,
    median: median(sorted),
    p99: quantile(sorted, 0.99),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
  };
}

/** One line for the progress log: a round-trip summary in µs. */
export function describe(s: Summary): string {
  return `median ${s.median.toFixed(1)} us, p99 ${s.p99.toFixed(1)} us (n ${s.n}, min ${s.min.toFixed(1)}, max ${s.max.toFixed(0)})`;
}
