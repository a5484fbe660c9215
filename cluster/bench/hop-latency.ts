/**
 * The two Kafka hops an order pays, as the nodes measured them (`checkout_kafka_hop_ms`): intake =
 * a command submitted at the edge until its owner handles it; status = a status change submitted
 * until a node's view (which feeds WatchOrder and websocket watchers) has it. Read by scraping
 * every node's /metrics before and after a run and taking percentiles of the difference.
 */
import { scrape, select } from '../../src/observability/prom-text.js';

/** hop -> bucket upper bound (ms) -> cumulative count, summed over the nodes. */
export type HopBuckets = Map<string, Map<number, number>>;

export interface HopLatency { n: number; p50: number; p90: number }

export async function scrapeHops(adminAddresses: readonly string[]): Promise<HopBuckets> {
  const out: HopBuckets = new Map();
  for (const address of adminAddresses) {
    const samples = await scrape(address).catch(() => []);
    for (const s of select(samples, 'checkout_kafka_hop_ms_bucket')) {
      const hop = s.labels.hop ?? '?';
      const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
      const buckets = out.get(hop) ?? new Map<number, number>();
      buckets.set(le, (buckets.get(le) ?? 0) + s.value);
      out.set(hop, buckets);
    }
  }
  return out;
}

/** Percentiles of what was observed between two scrapes, interpolated within a bucket. */
export function hopLatency(before: HopBuckets, after: HopBuckets): Record<string, HopLatency> {
  const result: Record<string, HopLatency> = {};
  for (const [hop, buckets] of after) {
    const bounds = [...buckets.keys()].sort((a, b) => a - b);
    const cumulative = bounds.map((le) => (buckets.get(le) ?? 0) - (before.get(hop)?.get(le) ?? 0));
    const n = cumulative.at(-1) ?? 0;
    const at = (p: number): number => {
      if (n === 0) return Number.NaN;
      const rank = (p / 100) * n;
      const i = cumulative.findIndex((c) => c >= rank);
      const lo = i > 0 ? bounds[i - 1]! : 0;
      const hi = Number.isFinite(bounds[i]!) ? bounds[i]! : lo;
      const below = i > 0 ? cumulative[i - 1]! : 0;
      const inBucket = cumulative[i]! - below;
      return Math.round((lo + (inBucket > 0 ? ((rank - below) / inBucket) * (hi - lo) : 0)) * 10) / 10;
    };
    result[hop] = { n, p50: at(50), p90: at(90) };
  }
  return result;
}

/** Table columns for a run: the two hops' p50 and p90 (ms). */
export function hopColumns(hops: Record<string, HopLatency>): Record<string, number> {
  const cols: Record<string, number> = {};
  for (const hop of ['intake', 'status']) {
    cols[`${hop} hop p50`] = hops[hop]?.p50 ?? Number.NaN;
    cols[`${hop} hop p90`] = hops[hop]?.p90 ?? Number.NaN;
  }
  return cols;
}

/** CPU ms per order per process, the nodes also summed, and the total; `bench` is the load generator. */
export function cpuPerOrderColumns(cpuMsPerOrder: Record<string, number>): Record<string, number> {
  const entries = Object.entries(cpuMsPerOrder).map(([k, v]) => [k === 'bench' ? 'load gen' : k, v] as const);
  const nodes = entries.filter(([k]) => k.startsWith('node')).reduce((s, [, v]) => s + v, 0);
  const total = entries.reduce((s, [, v]) => s + (Number.isFinite(v) ? v : 0), 0);
  return { ...Object.fromEntries(entries), 'nodes (sum)': Math.round(nodes * 10) / 10, total: Math.round(total * 10) / 10 };
}
