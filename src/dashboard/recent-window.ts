import { emptyCounters, type CountersSnapshot } from './counters-snapshot.js';

/** What one node did lately, derived from its cumulative counters at two moments. */
export interface RecentActivity {
  /** Orders completed per second over the throughput window (10 s, or less on a young node). */
  completedPerSec: number;
  /** Bucket counts (not cumulative across time: only orders completed in the latency window). */
  durationBuckets: Array<[number, number]>;
}

export const THROUGHPUT_WINDOW_MS = 10_000;
export const LATENCY_WINDOW_MS = 60_000;

/**
 * A ring of the node's counter snapshots, one per publish, long enough for the latency window.
 * Rates come from differences, so the counters stay the one source of truth.
 */
export function createRecentWindow(opts: { startedAt: number; throughputMs?: number; latencyMs?: number }) {
  const throughputMs = opts.throughputMs ?? THROUGHPUT_WINDOW_MS;
  const latencyMs = opts.latencyMs ?? LATENCY_WINDOW_MS;
  // The counters start at zero with the node, so its start is the first sample.
  const samples: Array<{ at: number; counters: CountersSnapshot }> = [{ at: opts.startedAt, counters: emptyCounters() }];
  const oldestSince = (at: number) => samples.find((s) => s.at >= at) ?? samples[0];
  return {
    /** Records a snapshot and returns the activity up to it. */
    add(at: number, counters: CountersSnapshot): RecentActivity {
      samples.push({ at, counters });
      while (samples.length > 1 && samples[0]!.at < at - latencyMs) samples.shift();
      const rateFrom = oldestSince(at - throughputMs)!;
      const seconds = (at - rateFrom.at) / 1000;
      const completed = (counters.terminal.COMPLETED ?? 0) - (rateFrom.counters.terminal.COMPLETED ?? 0);
      return {
        completedPerSec: seconds > 0 ? Math.max(0, completed) / seconds : 0,
        durationBuckets: bucketDelta(counters.durationBuckets, oldestSince(at - latencyMs)!.counters.durationBuckets),
      };
    },
  };
}

/** `now − before`, bound by bound; a bound missing before counts from zero. */
export function bucketDelta(now: Array<[number, number]>, before: Array<[number, number]>): Array<[number, number]> {
  const prior = new Map(before);
  return now.map(([le, count]) => [le, Math.max(0, count - (prior.get(le) ?? 0))]);
}
