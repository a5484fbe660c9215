/**
 * The q-quantile of a histogram given as cumulative buckets [upper bound, count], interpolated
 * linearly inside the bucket it falls in (as Prometheus' histogram_quantile does). Undefined
 * when there are no observations; the highest finite bound when it falls in the +Inf bucket.
 */
export function histogramQuantile(q: number, buckets: ReadonlyArray<readonly [number, number]>): number | undefined {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket <= 0 ? le : lowerBound + (le - lowerBound) * ((rank - lowerCount) / inBucket);
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

/** Adds histograms bound by bound (each cumulative, so the sum is too). */
export function mergeBuckets(histograms: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): Array<[number, number]> {
  const byBound = new Map<number, number>();
  for (const h of histograms) for (const [le, n] of h) byBound.set(le, (byBound.get(le) ?? 0) + n);
  return [...byBound].sort((a, b) => a[0] - b[0]);
}
