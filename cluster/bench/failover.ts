/**
 * `npm run bench:failover`: 3 nodes under a steady load (steps with realistic latencies, so every
 * node always has orders in flight); one node is SIGKILLed. From the journals afterwards: for every
 * order the victim was running at the kill, the time from the kill until another node persisted
 * its next step; the largest of those is "time until every order it owned makes progress again".
 * Also the end-to-end p99 of those orders vs the others. Group session timeout 3 s, heartbeat
 * 300 ms (KAFKA_SESSION_TIMEOUT_MS / KAFKA_HEARTBEAT_INTERVAL_MS, as the failover tests use).
 *
 *   --rate 20    orders/s (BENCH_RATE)
 *   --rounds 3   kills, each of a different node, restarted in between (BENCH_ROUNDS)
 */
import { parseArgs } from 'node:util';
import { isTerminal } from '../../src/domain/order.js';
import { runOpenLoop } from '../../src/load/open-loop.js';
import { foldJournal, readJournals } from '../local/chaos/chaos-check.js';
import { startBenchCluster, STEP_LATENCY } from './bench-cluster.js';
import { percentile, summarize, table } from '../../src/load/stats.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rate: { type: 'string' }, rounds: { type: 'string' } } });
  const rate = Number(values.rate ?? process.env.BENCH_RATE ?? 20);
  const rounds = Number(values.rounds ?? process.env.BENCH_ROUNDS ?? 3);
  if (!(rate > 0) || !(rounds >= 1)) throw new Error('--rate and --rounds must be positive');
  const bench = await startBenchCluster({ name: 'bench-failover', latency: STEP_LATENCY, env: { KAFKA_SESSION_TIMEOUT_MS: '3000', KAFKA_HEARTBEAT_INTERVAL_MS: '300' } });
  const results: Array<Record<string, string | number>> = [];
  const summaries: unknown[] = [];
  try {
    await runOpenLoop({ ratePerSec: 10, durationMs: 3_000, fire: (i) => bench.place(i) }); // warm-up
    for (let round = 0; round < rounds; round++) {
      const victim = bench.cluster.nodes[round % bench.cluster.nodes.length]!;
      const load = runOpenLoop({ ratePerSec: rate, durationMs: 20_000, clock: Date.now, fire: (i) => bench.place(i) });
      await sleep(6_000);
      const killedAt = Date.now();
      await bench.cluster.kill(victim);
      const report = await load;
      const ids = report.results.filter((r) => r.ok).map((r) => r.value!);
      const scheduled = new Map(report.results.filter((r) => r.ok).map((r) => [r.value!, r.scheduledAt]));
      const open = await bench.waitTerminal(ids, 60_000);
      const journals = await readJournals(bench.db, bench.cluster.config.CASSANDRA_KEYSPACE, ids);
      const stallMs: number[] = [];
      const affected = new Set<string>();
      for (const [id, rows] of journals) {
        const before = rows.filter((r) => r.at <= killedAt);
        if (before.length === 0 || before.at(-1)!.writer !== victim.id || isTerminal(foldJournal(before).status)) continue;
        affected.add(id);
        const next = rows.find((r) => r.at > killedAt && r.writer !== victim.id);
        if (next) stallMs.push(next.at - killedAt);
      }
      const e2e = (pred: (id: string) => boolean) => ids.filter(pred).map((id) => (bench.terminal.get(id)?.seenAt ?? Number.NaN) - scheduled.get(id)!).filter(Number.isFinite);
      const row = {
        round: round + 1, victim: victim.id, 'in flight at kill': affected.size, resumed: stallMs.length,
        'first resumed (ms)': stallMs.length ? Math.min(...stallMs) : '-', 'all resumed (ms)': stallMs.length ? Math.max(...stallMs) : '-',
        'affected e2e p99': percentile(e2e((id) => affected.has(id)), 99), 'others e2e p99': percentile(e2e((id) => !affected.has(id)), 99),
        'not terminal': open.length, 'place errors': report.results.filter((r) => !r.ok).length,
      };
      results.push(row);
      summaries.push({ ...row, stallMs: summarize(stallMs) });
      process.stderr.write(`  round ${round + 1}: ${JSON.stringify(row)}\n`);
      await bench.cluster.restart(victim);
      await sleep(8_000); // the group takes it back in
    }
  } finally {
    await bench.stop();
  }
  process.stdout.write(`\nfailover: SIGKILL of one of 3 nodes at ${rate} orders/s (session timeout 3 s, heartbeat 300 ms); times from the kill\n${table(results)}\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'failover', rate, rounds: summaries })}\n`);
}

main().catch((err: unknown) => { process.stderr.write(`bench:failover failed: ${(err as Error).stack}\n`); process.exit(1); });
