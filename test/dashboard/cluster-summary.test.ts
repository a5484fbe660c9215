import { describe, expect, it } from 'vitest';
import { summarizeCluster } from '../../src/dashboard/cluster-summary.js';
import { emptyCounters, type CountersSnapshot } from '../../src/dashboard/counters-snapshot.js';
import { histogramQuantile, mergeBuckets } from '../../src/dashboard/histogram-quantile.js';
import { decodeFigures, type NodeStatusRow } from '../../src/dashboard/node-status-table.js';
import { createRecentWindow } from '../../src/dashboard/recent-window.js';

const NOW = 1_000_000;

function row(nodeId: string, shards: number[], over: Partial<NodeStatusRow> = {}, counters: Partial<CountersSnapshot> = {}): NodeStatusRow {
  return {
    nodeId, pool: 'main', adminAddress: `127.0.0.1:${nodeId.length}`, grpcAddress: '127.0.0.1:1', shards, shardCount: 6,
    counters: { ...emptyCounters(), ...counters }, recent: { completedPerSec: 0, durationBuckets: [] },
    startedAt: NOW - 60_000, updatedAt: NOW - 500, ...over,
  };
}

describe('the cluster summary folded from node rows', () => {
  it('sums every live node\'s counters and derives the orders still in flight', () => {
    const s = summarizeCluster([
      row('node-1', [0, 1], {}, { placed: 10, terminal: { COMPLETED: 6, FAILED: 1 }, failedAttempts: 4, savedByRetry: 2, compensations: 3 }),
      row('node-2', [2, 3], {}, { placed: 5, terminal: { COMPLETED: 4, CANCELLED: 1 }, failedAttempts: 1, savedByRetry: 1, compensations: 1 }),
    ], { now: NOW, servedBy: 'node-1' });
    expect(s.orders).toEqual({ placed: 15, inFlight: 3, completed: 10, failed: 1, cancelled: 1 });
    expect(s.retries).toEqual({ failedAttempts: 5, savedByRetry: 3 });
    expect(s.compensations).toBe(4);
    expect(s.servedBy).toBe('node-1');
  });

  it('sums fallbacks by dependency and the orders they saved, beside those saved by retry', () => {
    const s = summarizeCluster([
      row('node-1', [0], {}, { terminal: { COMPLETED: 5 }, savedByRetry: 1, fallbacks: { fraud: 2, promotions: 1 }, savedByFallback: 2 }),
      row('node-2', [1], {}, { terminal: { COMPLETED: 3 }, fallbacks: { fraud: 1 }, savedByFallback: 1 }),
      row('node-old', [2]),
    ], { now: NOW, servedBy: 'node-1' });
    expect(s.fallbacks).toEqual({ taken: 4, byDependency: { fraud: 3, promotions: 1 }, savedByFallback: 3 });
    expect(s.retries.savedByRetry).toBe(1);
  });

  it('keeps a row\'s fallback counters through the node_status encoding', () => {
    const text = JSON.stringify({ counters: { fallbacks: { merchant_tablet: 2 }, savedByFallback: 2 }, recent: {} });
    expect(decodeFigures(text).counters).toMatchObject({ fallbacks: { merchant_tablet: 2 }, savedByFallback: 2 });
  });

  it('leaves out a node whose row is older than the staleness bound, and sorts the rest by id', () => {
    const s = summarizeCluster([row('node-10', [4]), row('node-2', [0, 1, 2, 3]), row('node-3', [5], { updatedAt: NOW - 5_000 })], { now: NOW, servedBy: 'node-2' });
    expect(s.nodes.map((n) => n.nodeId)).toEqual(['node-2', 'node-10']);
    expect(s.pools).toEqual([{ pool: 'main', shardCount: 6, unowned: [5], doublyOwned: [] }]);
  });

  it('names shards that nobody owns and shards that two nodes claim, per pool', () => {
    const s = summarizeCluster([
      row('node-1', [0, 1, 2]), row('node-2', [2, 3, 4, 5]), row('sandbox-1', [0], { pool: 'sandbox', shardCount: 3 }),
    ], { now: NOW, servedBy: 'node-1' });
    expect(s.pools).toEqual([
      { pool: 'main', shardCount: 6, unowned: [], doublyOwned: [2] },
      { pool: 'sandbox', shardCount: 3, unowned: [1, 2], doublyOwned: [] },
    ]);
  });

  it('never shows a negative in-flight count when another node finished a dead node\'s orders', () => {
    const s = summarizeCluster([row('node-2', [0], {}, { placed: 2, terminal: { COMPLETED: 5 } })], { now: NOW, servedBy: 'node-2' });
    expect(s.orders.inFlight).toBe(0);
  });

  it('adds the nodes\' throughputs and takes percentiles of their merged recent histograms', () => {
    const s = summarizeCluster([
      row('node-1', [], { recent: { completedPerSec: 1.5, durationBuckets: [[0.05, 0], [0.1, 10], [0.25, 10], [Infinity, 10]] } }),
      row('node-2', [], { recent: { completedPerSec: 2.25, durationBuckets: [[0.05, 0], [0.1, 0], [0.25, 10], [Infinity, 10]] } }),
    ], { now: NOW, servedBy: 'node-1' });
    expect(s.throughput.completedPerSec).toBe(3.75);
    expect(s.latency.samples).toBe(20);
    expect(s.latency.p50Ms).toBe(100);
    expect(s.latency.p99Ms).toBeCloseTo(247, 0);
  });

  it('has no percentiles without completed orders', () => {
    const s = summarizeCluster([row('node-1', [0])], { now: NOW, servedBy: 'node-1' });
    expect(s.latency).toMatchObject({ p50Ms: null, p99Ms: null, samples: 0 });
  });
});

describe('histogram quantiles', () => {
  it('interpolates inside the bucket the rank falls in', () => {
    expect(histogramQuantile(0.5, [[0.1, 0], [0.2, 100], [Infinity, 100]])).toBeCloseTo(0.15);
    expect(histogramQuantile(0.25, [[1, 50], [2, 100]])).toBeCloseTo(0.5);
  });
  it('answers the highest finite bound for a rank in the +Inf bucket', () => {
    expect(histogramQuantile(0.99, [[1, 10], [Infinity, 100]])).toBe(1);
  });
  it('merges cumulative histograms bound by bound', () => {
    expect(mergeBuckets([[[1, 2], [Infinity, 3]], [[0.5, 1], [1, 1], [Infinity, 1]]])).toEqual([[0.5, 1], [1, 3], [Infinity, 4]]);
  });
});

describe('a node\'s recent window', () => {
  const counters = (completed: number, buckets: Array<[number, number]>): CountersSnapshot => ({ ...emptyCounters(), terminal: { COMPLETED: completed }, durationBuckets: buckets });

  it('rates completions over the last 10 s and keeps only the last minute\'s durations', () => {
    const w = createRecentWindow({ startedAt: 0 });
    expect(w.add(5_000, counters(10, [[0.1, 10], [Infinity, 10]])).completedPerSec).toBe(2);
    let last = w.add(10_000, counters(20, [[0.1, 20], [Infinity, 20]]));
    for (let t = 11_000; t <= 80_000; t += 1_000) last = w.add(t, counters(20 + (t - 10_000) / 1_000, [[0.1, 20], [Infinity, 20 + (t - 10_000) / 1_000]]));
    expect(last.completedPerSec).toBeCloseTo(1);
    // 70 orders since t=10 s, all slower than 100 ms; only the last 60 s of them count.
    expect(last.durationBuckets).toEqual([[0.1, 0], [Infinity, 60]]);
  });
});

describe('node status figures as stored', () => {
  it('reads a row from another build with fields missing as zeros, and +Inf bounds back', () => {
    const text = JSON.stringify({ counters: { placed: 3, durationBuckets: [[0.1, 1], [null, 2]] }, recent: {} });
    expect(decodeFigures(text)).toEqual({
      counters: { placed: 3, terminal: {}, failedAttempts: 0, savedByRetry: 0, compensations: 0, durationBuckets: [[0.1, 1], [Infinity, 2]] },
      recent: { completedPerSec: 0, durationBuckets: [] },
    });
    expect(decodeFigures('not json').counters.placed).toBe(0);
  });
});

describe('orders in flight by state', () => {
  it('adds the live actors of every node by status, leaving out terminal ones that linger', () => {
    const s = summarizeCluster([
      row('node-1', [0], {}, { placed: 9, terminal: { COMPLETED: 2 }, liveByStatus: { PLACED: 2, FRAUD_CHECKED: 1, COMPLETED: 4, NEW: 1 } }),
      row('node-2', [1], {}, { liveByStatus: { PLACED: 1, COMPENSATING: 1 } }),
    ], { now: NOW, servedBy: 'node-1' });
    expect(s.inFlightByStatus).toEqual({ PLACED: 3, FRAUD_CHECKED: 1, COMPENSATING: 1 });
    expect(s.orders.inFlight).toBe(5);
  });
});
