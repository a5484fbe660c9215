import type * as grpc from '@grpc/grpc-js';
import { runOpenLoop } from '../../src/load/open-loop.js';
import type { BenchCluster } from './bench-cluster.js';
import { cpuShare } from './bench-cluster.js';
import { summarize, type Summary } from '../../src/load/stats.js';
import { hopLatency, scrapeHops, type HopLatency } from './hop-latency.js';

/** What a rate run drives: our bench cluster, or anything shaped like it (bench:peer's Restate). */
export type RateTarget = Pick<BenchCluster, 'place' | 'terminal' | 'waitTerminal' | 'cpuSeconds'>;

export interface RateRun {
  ratePerSec: number;
  offered: number;
  accepted: number;
  /** PlaceOrder answered with an error (by gRPC status name) or dropped by the generator's bound. */
  errors: Record<string, number>;
  dropped: number;
  /** Scheduled arrival → PlaceOrder answer (ms). */
  ackMs: Summary;
  /** Scheduled arrival → terminal status seen on order-events (ms), accepted orders only. */
  e2eMs: Summary;
  completed: number;
  notTerminal: number;
  /** Terminal orders per second, from the first arrival to the last terminal status. */
  completedPerSec: number;
  cpu: Record<string, string>;
  /** CPU seconds each process used during the run (load and drain). */
  cpuSeconds: Record<string, number>;
  /** CPU milliseconds per terminal order, per process (nodes, cassandra, broker, downstream, bench = the load generator). */
  cpuMsPerOrder: Record<string, number>;
  /** The intake and status hops through Kafka, as the nodes measured them (hop-latency.ts). */
  hops: Record<string, HopLatency>;
  /** Accepted orders with their scheduled arrival and answer time (Date.now ms). */
  placed: Array<{ orderId: string; scheduledAt: number; ackAt: number }>;
}

/**
 * One fixed arrival rate for `durationMs` (bounded open loop: latency counts from the scheduled
 * arrival), then waits for the accepted orders to finish.
 */
export async function runAtRate(bench: RateTarget, ratePerSec: number, durationMs: number, drainMs = 60_000): Promise<RateRun> {
  // Our nodes measure the two Kafka hops; another target (bench:peer's) has none to read.
  const nodeAddresses = () => ('cluster' in bench ? (bench as BenchCluster).cluster.nodes.flatMap((n) => (n.process && n.adminAddress ? [n.adminAddress] : [])) : []);
  const hopsBefore = await scrapeHops(nodeAddresses());
  const cpuBefore = await bench.cpuSeconds();
  const startedAt = Date.now();
  const report = await runOpenLoop({ ratePerSec, durationMs, maxInFlight: 5_000, clock: Date.now, fire: (i) => bench.place(i) });
  const accepted = report.results.filter((r) => r.ok);
  const ids = accepted.map((r) => r.value!);
  const open = await bench.waitTerminal(ids, drainMs);
  const cpuAfter = await bench.cpuSeconds();
  const hopsAfter = await scrapeHops(nodeAddresses());
  const errors: Record<string, number> = {};
  for (const r of report.results.filter((x) => !x.ok)) {
    const name = (r.error as grpc.ServiceError).code !== undefined ? `grpc ${(r.error as grpc.ServiceError).code}` : String(r.error);
    errors[name] = (errors[name] ?? 0) + 1;
  }
  const e2e: number[] = [];
  let completed = 0;
  let lastAt = startedAt;
  for (const r of accepted) {
    const t = bench.terminal.get(r.value!);
    if (!t) continue;
    e2e.push(t.seenAt - r.scheduledAt);
    if (t.status === 'COMPLETED') completed++;
    lastAt = Math.max(lastAt, t.seenAt);
  }
  const seconds = (Date.now() - startedAt) / 1000;
  return {
    ratePerSec, offered: report.results.length + report.dropped, accepted: ids.length, errors, dropped: report.dropped,
    ackMs: summarize(accepted.map((r) => r.latencyMs)),
    e2eMs: summarize(e2e), completed, notTerminal: open.length,
    completedPerSec: Math.round((e2e.length / Math.max(0.001, (lastAt - startedAt) / 1000)) * 10) / 10,
    cpu: cpuShare(cpuBefore, cpuAfter, seconds),
    cpuSeconds: Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, cpuAfter[k]! - (cpuBefore[k] ?? 0)])),
    cpuMsPerOrder: Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, Math.round(((cpuAfter[k]! - (cpuBefore[k] ?? 0)) * 1000 * 10) / Math.max(1, e2e.length)) / 10])),
    hops: hopLatency(hopsBefore, hopsAfter),
    placed: accepted.map((r) => ({ orderId: r.value!, scheduledAt: r.scheduledAt, ackAt: r.scheduledAt + r.latencyMs })),
  };
}

/**
 * CPU each process uses with no orders at all (the fixed cost: consumers polling, heartbeats,
 * health probes, timers), as a share of one core; at a rate r it costs share × 1000 / r ms per order.
 */
export async function measureIdle(bench: Pick<RateTarget, 'cpuSeconds'>, durationMs: number): Promise<Record<string, number>> {
  const before = await bench.cpuSeconds();
  const startedAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const after = await bench.cpuSeconds();
  const seconds = (Date.now() - startedAt) / 1000;
  return Object.fromEntries(Object.keys(after).map((k) => [k, Math.round(((after[k]! - (before[k] ?? 0)) / seconds) * 1000) / 10]));
}
