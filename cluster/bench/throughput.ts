/**
 * `npm run bench:throughput`: zero-latency downstreams, 3 nodes, arrival rates stepped up until
 * the cluster no longer keeps pace; reports, per rate, completed orders/s, end-to-end p99 and the
 * CPU each process used (nodes, Cassandra, broker, downstream, this load generator), so it shows
 * where the time goes. "Sustained" = every order terminal within the drain window, completions
 * within 5 % of the arrival rate, and end-to-end p99 under 2 s.
 *
 *   --rates 25,50,75,100,150   arrival rates in orders/s (BENCH_RATES)
 *   --duration 10              seconds per rate (BENCH_DURATION_S)
 *   --cpu-prof                 run the nodes with --cpu-prof (profiles in .run/bench-throughput-*)
 *   --idle 10                  seconds with no orders after the warm-up, to measure each process's
 *                              fixed CPU cost (0 skips it)
 */
import { parseArgs } from 'node:util';
import { projectPath } from '../../src/config/paths.js';
import { startBenchCluster } from './bench-cluster.js';
import { measureIdle, runAtRate, type RateRun } from './rate-run.js';
import { table } from '../../src/load/stats.js';
import { eventTimeline } from './where-time-goes.js';
import { cpuPerOrderColumns, hopColumns } from './hop-latency.js';

const P99_BOUND_MS = 2_000;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rates: { type: 'string' }, duration: { type: 'string' }, idle: { type: 'string' }, 'cpu-prof': { type: 'boolean' } } });
  const rates = (values.rates ?? process.env.BENCH_RATES ?? '25,50,75,100,150').split(',').map(Number);
  const durationS = Number(values.duration ?? process.env.BENCH_DURATION_S ?? 10);
  const idleS = Number(values.idle ?? 10);
  if (rates.some((r) => !(r > 0)) || !(durationS > 0) || !(idleS >= 0)) throw new Error('--rates must be positive numbers, --duration positive seconds, --idle seconds ≥ 0');
  const profDir = projectPath('.run', `bench-throughput-prof-${Date.now()}`);
  const bench = await startBenchCluster({
    name: 'bench-throughput', latency: [],
    nodeArgs: values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  });
  const runs: RateRun[] = [];
  let timeline: Array<Record<string, string | number>> = [];
  let idle: Record<string, number> | undefined;
  try {
    await runAtRate(bench, 10, 3_000); // warm-up
    if (idleS > 0) {
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // the warm-up's last orders settle
      idle = await measureIdle(bench, idleS * 1000);
    }
    for (const rate of rates) {
      const run = await runAtRate(bench, rate, durationS * 1000, 30_000);
      runs.push(run);
      process.stderr.write(`  ${rate}/s: ${run.completedPerSec} done/s, e2e p99 ${run.e2eMs.p99} ms\n`);
      if (!sustained(run)) break; // past the knee: higher rates only queue
    }
    timeline = await eventTimeline(bench.db, bench.cluster.config.CASSANDRA_KEYSPACE, runs.at(-1)?.placed ?? []);
  } finally {
    await bench.stop();
  }
  const best = runs.filter(sustained).at(-1);
  process.stdout.write(`\nthroughput on 3 nodes, zero downstream latency (Cassandra commitlog_sync=batch), ${durationS} s per rate\n`);
  process.stdout.write(`${table(runs.map((r) => ({
    'rate/s': r.ratePerSec, accepted: `${r.accepted}/${r.offered}`, 'done/s': r.completedPerSec, 'ack p99': r.ackMs.p99,
    'e2e p50': r.e2eMs.p50, 'e2e p99': r.e2eMs.p99, open: r.notTerminal, sustained: sustained(r) ? 'yes' : 'no', ...hopColumns(r.hops), ...r.cpu,
  })))}\n`);
  process.stdout.write(`CPU ms per completed order, per process (load gen = this script):\n${table(runs.map((r) => ({ 'rate/s': r.ratePerSec, ...cpuPerOrderColumns(r.cpuMsPerOrder) })))}\n`);
  if (idle) {
    process.stdout.write(`idle CPU (no orders for ${idleS} s), % of one core, and what it adds per order at each rate (ms):\n${table([
      { what: 'idle % of a core', ...cpuPerOrderColumns(idle) },
      ...runs.map((r) => ({ what: `idle ms/order at ${r.ratePerSec}/s`, ...cpuPerOrderColumns(Object.fromEntries(Object.entries(idle!).map(([k, v]) => [k, Math.round((v * 100) / r.ratePerSec) / 10]))) })),
    ])}\n`);
  }
  process.stdout.write(`where an order's time goes at ${runs.at(-1)?.ratePerSec}/s (ms from the scheduled arrival to each persisted event; gaps between them):\n${table(timeline)}\n`);
  process.stdout.write(`highest sustained: ${best ? `${best.completedPerSec} completed orders/s at ${best.ratePerSec}/s offered` : 'none of the rates'}\n`);
  if (values['cpu-prof']) process.stdout.write(`node CPU profiles: ${profDir}/ (open in Chrome DevTools)\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'throughput', durationS, idleCpuPercent: idle, sustainedOrdersPerSec: best?.completedPerSec ?? 0, runs: runs.map(({ placed: _placed, ...r }) => r), timeline })}\n`);
}

function sustained(r: RateRun): boolean {
  return r.notTerminal === 0 && r.accepted === r.offered && r.completedPerSec >= r.ratePerSec * 0.95 && r.e2eMs.p99 < P99_BOUND_MS;
}

main().catch((err: unknown) => { process.stderr.write(`bench:throughput failed: ${(err as Error).stack}\n`); process.exit(1); });
