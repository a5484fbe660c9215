/**
 * `npm run bench:ab`: one change measured against its switch in one script run. Starts a fresh
 * 3-node local cluster per run (so the broker, Cassandra and the nodes all see the variant's
 * environment), alternating A, B, A, B, ... on this noisy machine, and prints per run: completed
 * orders/s, end-to-end and ack latency, the two Kafka hops, and CPU ms per order per process.
 *
 *   --a KEY=V[,KEY=V]   variant A's environment (e.g. CHECKOUT_MOCK_FETCH_WAKEUP=0)
 *   --b KEY=V[,KEY=V]   variant B's environment
 *   --rate 100          arrival rate (orders/s)
 *   --duration 10       seconds per run
 *   --rounds 2          A/B pairs
 *   --steps             realistic step latencies (bench:e2e's) instead of zero-latency downstreams
 *   --warmup 3          seconds of warm-up load before each measured run (JIT settling: use 60 or more
 *                       to compare steady states, e.g. Cassandra's C1 against its full JIT)
 *   --warmup-rate 10    the warm-up's arrival rate (orders/s)
 */
import { parseArgs } from 'node:util';
import { startBenchCluster, STEP_LATENCY } from './bench-cluster.js';
import { runAtRate } from './rate-run.js';
import { table } from '../../src/load/stats.js';
import { cpuPerOrderColumns, hopColumns } from './hop-latency.js';

function parseEnv(spec: string | undefined): Record<string, string> {
  if (!spec) return {};
  return Object.fromEntries(spec.split(',').filter(Boolean).map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`expected KEY=VALUE, got '${kv}'`);
    return [kv.slice(0, eq), kv.slice(eq + 1)];
  }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    a: { type: 'string' }, b: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' }, rounds: { type: 'string' }, steps: { type: 'boolean' },
    warmup: { type: 'string' }, 'warmup-rate': { type: 'string' },
  } });
  const variants = { A: parseEnv(values.a), B: parseEnv(values.b) };
  const rate = Number(values.rate ?? 100);
  const durationS = Number(values.duration ?? 10);
  const rounds = Number(values.rounds ?? 2);
  const warmupS = Number(values.warmup ?? 3);
  const warmupRate = Number(values['warmup-rate'] ?? 10);
  if (!(rate > 0) || !(durationS > 0) || !(rounds >= 1) || !(warmupS > 0) || !(warmupRate > 0)) throw new Error('--rate, --duration, --rounds, --warmup and --warmup-rate must be positive');
  const rows: Array<Record<string, string | number>> = [];
  const cpuRows: Array<Record<string, string | number>> = [];
  for (let round = 1; round <= rounds; round++) {
    for (const [name, env] of Object.entries(variants)) {
      const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, env); // the broker and Cassandra inherit this process's environment
      try {
        const bench = await startBenchCluster({ name: `bench-ab-${name}`, latency: values.steps ? STEP_LATENCY : [], env });
        try {
          await runAtRate(bench, warmupRate, warmupS * 1000); // warm-up
          const r = await runAtRate(bench, rate, durationS * 1000, 30_000);
          const label = `${name} ${JSON.stringify(env)}`;
          rows.push({ run: `${name}${round}`, 'rate/s': rate, 'done/s': r.completedPerSec, open: r.notTerminal, 'ack p99': r.ackMs.p99, 'e2e p50': r.e2eMs.p50, 'e2e p99': r.e2eMs.p99, ...hopColumns(r.hops) });
          cpuRows.push({ run: `${name}${round}`, ...cpuPerOrderColumns(r.cpuMsPerOrder) });
          process.stderr.write(`  ${label} round ${round}: ${r.completedPerSec} done/s, e2e p50 ${r.e2eMs.p50} ms, intake hop p50 ${r.hops.intake?.p50} ms\n`);
        } finally {
          await bench.stop();
        }
      } finally {
        for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      }
    }
  }
  process.stdout.write(`\nA/B, ${rate} orders/s for ${durationS} s per run after ${warmupS} s at ${warmupRate}/s, ${values.steps ? 'step latencies 30/80/60/40/50 ms' : 'zero-latency downstreams'}, runs alternated\n`);
  process.stdout.write(`A = ${JSON.stringify(variants.A)}  B = ${JSON.stringify(variants.B)}\n${table(rows)}\n`);
  process.stdout.write(`CPU ms per completed order, per process (load gen = this script):\n${table(cpuRows)}\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'ab', variants, rate, durationS, rows, cpuRows })}\n`);
}

main().catch((err: unknown) => { process.stderr.write(`bench:ab failed: ${(err as Error).stack}\n`); process.exit(1); });
