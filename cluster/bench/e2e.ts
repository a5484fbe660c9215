/**
 * `npm run bench:e2e`: a 3-node local cluster with realistic downstream latencies on the steps
 * (fraud 30 ms, authorize 80, delivery 60, merchant 40, capture 50; the pricing fetch at 0 so the
 * ack measures our own path), driven at fixed arrival rates (bounded open loop). Per rate:
 * PlaceOrder ack p50/p95/p99, end-to-end order time (arrival → terminal status on order-events)
 * p50/p95/p99, and end-to-end ÷ the 260 ms the five steps cannot beat.
 *
 *   --rates 50,200,500   arrival rates in orders/s (BENCH_RATES)
 *   --duration 10        seconds per rate (BENCH_DURATION_S)
 */
import { parseArgs } from 'node:util';
import { startBenchCluster, STEP_LATENCY } from './bench-cluster.js';
import { runAtRate, type RateRun } from './rate-run.js';
import { table } from '../../src/load/stats.js';
import { eventTimeline } from './where-time-goes.js';
import { cpuPerOrderColumns, hopColumns } from './hop-latency.js';

const CRITICAL_MS = STEP_LATENCY.reduce((s, l) => s + l.fixedMs, 0);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rates: { type: 'string' }, duration: { type: 'string' } } });
  const rates = (values.rates ?? process.env.BENCH_RATES ?? '50,200,500').split(',').map(Number);
  const durationS = Number(values.duration ?? process.env.BENCH_DURATION_S ?? 10);
  if (rates.some((r) => !(r > 0)) || !(durationS > 0)) throw new Error('--rates must be positive numbers (e.g. 50,200,500) and --duration positive seconds');

  const bench = await startBenchCluster({ name: 'bench-e2e', latency: STEP_LATENCY });
  const runs: RateRun[] = [];
  let timeline: Array<Record<string, string | number>> = [];
  try {
    await runAtRate(bench, 10, 3_000); // warm-up: JIT, connections, prepared statements
    for (const rate of rates) {
      runs.push(await runAtRate(bench, rate, durationS * 1000));
      process.stderr.write(`  ${rate}/s done\n`);
    }
    timeline = await eventTimeline(bench.db, bench.cluster.config.CASSANDRA_KEYSPACE, runs[0]?.placed ?? []);
  } finally {
    await bench.stop();
  }
  process.stdout.write(`\nend to end on 3 nodes (Cassandra commitlog_sync=batch), ${durationS} s per rate; step latencies sum to ${CRITICAL_MS} ms\n`);
  process.stdout.write(`${table(runs.map((r) => ({
    'rate/s': r.ratePerSec, accepted: `${r.accepted}/${r.offered}`, 'done/s': r.completedPerSec,
    'ack p50': r.ackMs.p50, 'ack p95': r.ackMs.p95, 'ack p99': r.ackMs.p99,
    'e2e p50': r.e2eMs.p50, 'e2e p95': r.e2eMs.p95, 'e2e p99': r.e2eMs.p99,
    'p50/critical': (r.e2eMs.p50 / CRITICAL_MS).toFixed(3), 'p99/critical': (r.e2eMs.p99 / CRITICAL_MS).toFixed(3),
    open: r.notTerminal, ...hopColumns(r.hops), errors: JSON.stringify(r.errors),
  })))}\n`);
  process.stdout.write(`where an order's time goes at ${runs[0]?.ratePerSec}/s (ms from the scheduled arrival to each persisted event; the gap before each):\n${table(timeline)}\n`);
  process.stdout.write(`cpu per process (share of one core) at each rate:\n${table(runs.map((r) => ({ 'rate/s': r.ratePerSec, ...r.cpu })))}\n`);
  process.stdout.write(`CPU ms per completed order, per process (load gen = this script):\n${table(runs.map((r) => ({ 'rate/s': r.ratePerSec, ...cpuPerOrderColumns(r.cpuMsPerOrder) })))}\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'e2e', criticalMs: CRITICAL_MS, durationS, runs: runs.map(({ placed: _placed, ...r }) => r), timeline })}\n`);
}

main().catch((err: unknown) => { process.stderr.write(`bench:e2e failed: ${(err as Error).stack}\n`); process.exit(1); });
