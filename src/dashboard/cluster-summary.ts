import { isTerminal, type OrderStatus } from '../domain/order.js';
import { histogramQuantile, mergeBuckets } from './histogram-quantile.js';
import type { NodeStatusRow } from './node-status-table.js';
import { LATENCY_WINDOW_MS, THROUGHPUT_WINDOW_MS } from './recent-window.js';

/** A row older than this is a node that stopped answering: it is left out before its TTL ends. */
export const STALE_AFTER_MS = 4_000;

export interface NodeSummary {
  nodeId: string;
  pool: string;
  adminAddress: string;
  grpcAddress: string;
  shards: number[];
  completedPerSec: number;
  startedAt: number;
  /** Since the node last wrote its row. */
  ageMs: number;
}

export interface PoolCoverage {
  pool: string;
  shardCount: number;
  /** Shards no live node owns right now (moving between nodes, or a node died). */
  unowned: number[];
  /** Shards two live nodes both claim (only ever for a moment, during a hand-over). */
  doublyOwned: number[];
}

/** What `GET /api/dashboard` answers: the cluster as the live nodes' rows say. */
export interface ClusterSummary {
  at: number;
  servedBy: string;
  nodes: NodeSummary[];
  pools: PoolCoverage[];
  /** Summed over live nodes, each counting since its own start. */
  orders: { placed: number; inFlight: number; completed: number; failed: number; cancelled: number };
  /** Unfinished orders by status, from the live order actors of each node (their owners). */
  inFlightByStatus: Record<string, number>;
  throughput: { completedPerSec: number; windowSeconds: number };
  latency: { p50Ms: number | null; p99Ms: number | null; samples: number; windowSeconds: number };
  retries: { failedAttempts: number; savedByRetry: number };
  /** Default fallbacks taken by dependency, and completed orders they saved (beside those saved by retry). */
  fallbacks: { taken: number; byDependency: Record<string, number>; savedByFallback: number };
  compensations: number;
}

/** Pure: the live rows of `node_status` folded into the dashboard's picture. */
export function summarizeCluster(rows: readonly NodeStatusRow[], opts: { now: number; servedBy: string; staleAfterMs?: number }): ClusterSummary {
  const staleAfter = opts.staleAfterMs ?? STALE_AFTER_MS;
  const live = rows.filter((r) => opts.now - r.updatedAt <= staleAfter).sort((a, b) => a.nodeId.localeCompare(b.nodeId, 'en', { numeric: true }));
  const total = (f: (r: NodeStatusRow) => number) => live.reduce((sum, r) => sum + f(r), 0);
  const placed = total((r) => r.counters.placed);
  const completed = total((r) => r.counters.terminal.COMPLETED ?? 0);
  const failed = total((r) => r.counters.terminal.FAILED ?? 0);
  const cancelled = total((r) => r.counters.terminal.CANCELLED ?? 0);
  const inFlight = inFlightOf(live);
  const recentDurations = mergeBuckets(live.map((r) => r.recent.durationBuckets));
  const ms = (seconds: number | undefined) => (seconds === undefined ? null : Math.round(seconds * 10_000) / 10);
  return {
    at: opts.now,
    servedBy: opts.servedBy,
    nodes: live.map((r) => ({
      nodeId: r.nodeId, pool: r.pool, adminAddress: r.adminAddress, grpcAddress: r.grpcAddress, shards: r.shards,
      completedPerSec: r.recent.completedPerSec, startedAt: r.startedAt, ageMs: Math.max(0, opts.now - r.updatedAt),
    })),
    pools: poolCoverage(live),
    // Without the live-actor gauge (an older node), in flight is what was placed and not ended; a
    // node counts OrderPlaced for the orders it started and terminal states for those it ended,
    // and after a failover those differ, so the difference is kept from going negative.
    orders: { placed, inFlight: inFlight.total ?? Math.max(0, placed - completed - failed - cancelled), completed, failed, cancelled },
    inFlightByStatus: inFlight.byStatus,
    throughput: { completedPerSec: round2(total((r) => r.recent.completedPerSec)), windowSeconds: THROUGHPUT_WINDOW_MS / 1000 },
    latency: {
      p50Ms: ms(histogramQuantile(0.5, recentDurations)), p99Ms: ms(histogramQuantile(0.99, recentDurations)),
      samples: recentDurations.at(-1)?.[1] ?? 0, windowSeconds: LATENCY_WINDOW_MS / 1000,
    },
    retries: { failedAttempts: total((r) => r.counters.failedAttempts), savedByRetry: total((r) => r.counters.savedByRetry) },
    fallbacks: fallbacksOf(live),
    compensations: total((r) => r.counters.compensations),
  };
}

function fallbacksOf(live: readonly NodeStatusRow[]): ClusterSummary['fallbacks'] {
  const byDependency: Record<string, number> = {};
  for (const r of live) {
    for (const [dependency, n] of Object.entries(r.counters.fallbacks ?? {})) byDependency[dependency] = (byDependency[dependency] ?? 0) + n;
  }
  return {
    taken: Object.values(byDependency).reduce((a, b) => a + b, 0),
    byDependency,
    savedByFallback: live.reduce((sum, r) => sum + (r.counters.savedByFallback ?? 0), 0),
  };
}

/** Unfinished orders by status from the nodes' live actors: each counted once, by its owner. */
function inFlightOf(live: readonly NodeStatusRow[]): { byStatus: Record<string, number>; total?: number } {
  const byStatus: Record<string, number> = {};
  for (const r of live) {
    for (const [status, n] of Object.entries(r.counters.liveByStatus ?? {})) {
      if (status === 'NEW' || isTerminal(status as OrderStatus) || n <= 0) continue;
      byStatus[status] = (byStatus[status] ?? 0) + n;
    }
  }
  const reported = live.some((r) => r.counters.liveByStatus !== undefined);
  return reported ? { byStatus, total: Object.values(byStatus).reduce((a, b) => a + b, 0) } : { byStatus };
}

function poolCoverage(live: readonly NodeStatusRow[]): PoolCoverage[] {
  const pools = [...new Set(live.map((r) => r.pool))].sort();
  return pools.map((pool) => {
    const members = live.filter((r) => r.pool === pool);
    const shardCount = Math.max(0, ...members.map((r) => r.shardCount));
    const owners = new Map<number, number>();
    for (const r of members) for (const s of new Set(r.shards)) owners.set(s, (owners.get(s) ?? 0) + 1);
    const all = Array.from({ length: shardCount }, (_, i) => i);
    return {
      pool, shardCount,
      unowned: all.filter((s) => !owners.has(s)),
      doublyOwned: [...owners].filter(([, n]) => n > 1).map(([s]) => s).sort((a, b) => a - b),
    };
  });
}

const round2 = (n: number) => Math.round(n * 100) / 100;
