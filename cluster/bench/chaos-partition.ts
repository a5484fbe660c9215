/**
 * `npm run chaos:partition`: partitions at length. A cluster of its own whose nodes each run in a
 * network namespace (cluster/local/partition/), orders at a steady rate on all edges under
 * downstream faults, and a random schedule of link faults: a node cut from Kafka, from
 * Cassandra, from the downstream services, from its clients (answers lost), from everything,
 * two nodes cut from Kafka at once, or a lossy slow link; each healed after a while. Then every
 * order is waited on and judged with the chaos checks; prints the checks and the failover times
 * (fault → the last of the node's shards taken by another node). Needs root (namespaces).
 *
 *   --minutes N   how long faults are scheduled (CHAOS_MINUTES, default 10)
 *   --rate N      orders per second (CHAOS_RATE, default 10)
 *   --seed N      schedule and downstream faults (CHAOS_SEED, default from the clock)
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTokenService } from '../../src/edge/auth.js';
import { createDownstreamClients } from '../../src/clients/downstream-clients.js';
import { projectPath } from '../../src/config/paths.js';
import { createLogger } from '../../src/observability/logger.js';
import { connectWithRetry, createCassandraClient } from '../../src/storage/cassandra-client.js';
import { table } from '../../src/load/stats.js';
import { CHAOS_DEFAULTS } from '../local/chaos/chaos-run.js';
import { percentiles } from '../local/chaos/chaos-check.js';
import { seededRandom } from '../local/downstream/random.js';
import { startPartitionCluster, type PartitionCluster } from '../local/partition/partition-cluster.js';
import { runPartitionScenario, type ScheduledFault } from '../local/partition/partition-scenario.js';
import { disagreements, ownedShardsNow, shardsMovedAt, writesPastTheFence } from '../local/partition/partition-checks.js';
import type { LinkTarget } from '../local/partition/link-faults.js';
import { recordLines } from '../../test/support/chaos-logs.js';

type FaultKind = 'kafka' | 'cassandra' | 'downstream' | 'clients' | 'everything' | 'two-from-kafka' | 'lossy';
const KINDS: readonly FaultKind[] = ['kafka', 'cassandra', 'downstream', 'clients', 'everything', 'two-from-kafka', 'lossy'];
/** Kinds after which the faulted node's shards must move to others; the time that takes is the failover. */
const MOVING: ReadonlySet<FaultKind> = new Set(['kafka', 'cassandra', 'everything', 'two-from-kafka']);

function options() {
  const { values } = parseArgs({ options: { minutes: { type: 'string' }, rate: { type: 'string' }, seed: { type: 'string' } } });
  const num = (v: string | undefined, fallback: number, name: string) => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
    return n;
  };
  return {
    minutes: num(values.minutes ?? process.env.CHAOS_MINUTES, 10, 'minutes'),
    ratePerSec: num(values.rate ?? process.env.CHAOS_RATE, 10, 'rate'),
    seed: num(values.seed ?? process.env.CHAOS_SEED, Date.now() % 1_000_000 || 1, 'seed'),
  };
}

interface FaultRecord { kind: FaultKind; nodes: string[]; holdMs: number; shards: number[]; cutAt?: number; healAt?: number; movedMs?: number }

async function main(): Promise<void> {
  const opts = options();
  const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const logDir = projectPath('.run', `chaos-partition-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  let pc: PartitionCluster | undefined;
  const stop = async () => { await pc?.stop().catch(() => undefined); };
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    log(`starting a partition cluster: Cassandra, the broker, the downstream services and 3 nodes in namespaces (logs in ${logDir})`);
    pc = await startPartitionCluster({
      nodes: 3, logDir, logger: createLogger({ level: 'warn', name: 'chaos-partition' }), keyspace: `partition_${Date.now().toString(36)}`,
      env: { ...CHAOS_DEFAULTS.nodeEnv, STEP_BACKOFF_BASE_MS: '20', STEP_BACKOFF_MAX_MS: '200' },
      downstreamLatency: JSON.stringify(CHAOS_DEFAULTS.latency),
    });
    const { cluster, faults } = pc;
    const db = createCassandraClient({ contactPoints: cluster.infra.cassandraContactPoints, localDataCenter: cluster.infra.cassandraLocalDc });
    await connectWithRetry(db, { attempts: 5, backoff: { initialMs: 500, maxMs: 4_000 } });
    const downstream = createDownstreamClients(cluster.downstreamAddress, { adminSecret: cluster.downstreamAdminSecret });
    const tokens = createTokenService({ secret: cluster.config.AUTH_SECRET });
    const token = (c: string) => tokens.mint(c, { ttlSeconds: 24 * 3600 });
    const lines = recordLines(cluster.nodes);
    try {
      const random = seededRandom(opts.seed);
      const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
      const node = (id: string) => cluster.nodes.find((n) => n.id === id)!;
      const records: FaultRecord[] = [];
      const schedule: ScheduledFault[] = [];
      const totalMs = opts.minutes * 60_000;
      for (let at = 5_000; at < totalMs - 20_000;) {
        const kind = pick(KINDS);
        const first = pick(cluster.nodes).id;
        const nodes = kind === 'two-from-kafka' ? [first, pick(cluster.nodes.filter((n) => n.id !== first)).id] : [first];
        // A Cassandra cut is held long enough for the watchdog to give the shards up.
        const holdMs = kind === 'cassandra' ? 15_000 + random() * 15_000 : 3_000 + random() * 15_000;
        const record: FaultRecord = { kind, nodes, holdMs: Math.round(holdMs), shards: [] };
        records.push(record);
        const targets: LinkTarget[] = kind === 'everything' ? ['kafka', 'cassandra', 'downstream'] : kind === 'two-from-kafka' ? ['kafka'] : kind === 'lossy' ? [] : [kind];
        schedule.push({
          atMs: at, label: `${kind} ${nodes.join('+')} #${records.length}`,
          run: async () => {
            record.shards = (await Promise.all(nodes.map((id) => ownedShardsNow(node(id)).catch(() => [] as number[])))).flat();
            record.cutAt = Date.now();
            for (const id of nodes) {
              if (kind === 'lossy') await faults.impair(id, { delayMs: 150, jitterMs: 50, lossPercent: 20 });
              else await faults.cut(id, targets, kind === 'clients' ? 'out' : 'both');
            }
          },
        });
        schedule.push({ atMs: at + holdMs, label: `heal ${nodes.join('+')} #${records.length}`, run: async () => { for (const id of nodes) await faults.heal(id); record.healAt = Date.now(); } });
        at += holdMs + 8_000 + random() * 10_000;
      }
      log(`placing orders at ${opts.ratePerSec}/s for ${opts.minutes} min with ${records.length} link faults, seed ${opts.seed}`);
      const t0 = Date.now();
      const run = await runPartitionScenario({ cluster, faults, db, keyspace: cluster.config.CASSANDRA_KEYSPACE, admin: downstream.admin, token }, {
        orders: Math.round(totalMs / 1000 * opts.ratePerSec), ratePerSec: opts.ratePerSec, schedule, drainTimeoutMs: 300_000, seed: opts.seed, log,
      });
      for (const r of records) {
        if (!MOVING.has(r.kind) || r.cutAt === undefined || r.shards.length === 0) continue;
        const moved = r.nodes.map((id) => shardsMovedAt(lines.lines, id, r.shards, r.cutAt!, r.healAt).at);
        if (moved.every((m) => m !== undefined)) r.movedMs = Math.max(...moved.map((m) => m! - r.cutAt!));
      }
      const fencePast = records.filter((r) => r.cutAt !== undefined).flatMap((r) => r.nodes.flatMap((id) => writesPastTheFence(run.journals, id, r.cutAt!, r.healAt)));
      const disagreeing: Record<string, number> = {};
      for (const n of cluster.nodes) disagreeing[n.id] = (await disagreements(n, run.placed, run.journals, token, 30_000)).length;
      const v = run.verdict;
      const ms = (x: number | undefined) => (x === undefined ? '-' : (x / 1000).toFixed(1));
      const byKind = (kind: FaultKind) => percentiles(records.filter((r) => r.kind === kind && r.movedMs !== undefined).map((r) => r.movedMs!));
      const rows = [
        { figure: 'orders accepted / keys sent', value: `${run.accepted.length} / ${run.placed.length}` },
        { figure: 'completed / failed / cancelled', value: `${v.statuses.COMPLETED ?? 0} / ${v.statuses.FAILED ?? 0} / ${v.statuses.CANCELLED ?? 0}` },
        { figure: 'not terminal / lost / orders no answer named (a key with two orders, or a key given up)', value: `${v.notTerminal.length} / ${v.lost.length} / ${run.keysWithTwoOrders.length}` },
        { figure: 'non-linear journals / ledger violations / ledger without journal', value: `${v.nonLinear.length} / ${v.ledgerViolations.length} / ${v.ledgerWithoutJournal.length}` },
        { figure: 'writes past the fence (a partitioned node\'s row after the new owner\'s)', value: fencePast.length },
        { figure: 'orders a node answers differently from the journal (per node)', value: JSON.stringify(disagreeing) },
        { figure: 'link faults (by kind)', value: JSON.stringify(Object.fromEntries(KINDS.map((k) => [k, records.filter((r) => r.kind === k).length]))) },
        ...[...MOVING].map((k) => { const p = byKind(k); return { figure: `failover s after a ${k} cut (n, p50 / p90 / max)`, value: `${p.n}: ${ms(p.p50)} / ${ms(p.p90)} / ${ms(p.max)}` }; }),
        { figure: 'faults whose shards never all moved', value: records.filter((r) => MOVING.has(r.kind) && r.shards.length > 0 && r.movedMs === undefined).length },
        { figure: 'PlaceOrder retries on another node', value: run.placed.reduce((n, p) => n + Math.max(0, p.attempts.length - 1), 0) },
        { figure: 'total s', value: ms(Date.now() - t0) },
      ];
      process.stdout.write(`\npartition summary ${JSON.stringify({ seed: opts.seed, minutes: opts.minutes, faults: records })}\n\n${table(rows)}\n\n`);
      const broken = {
        unanswered: run.placed.filter((p) => p.outcome !== 'accepted').slice(0, 3), notTerminal: v.notTerminal.slice(0, 5), lost: v.lost.slice(0, 5),
        keysWithTwoOrders: run.keysWithTwoOrders.slice(0, 5), nonLinear: v.nonLinear.slice(0, 5), ledgerViolations: v.ledgerViolations.slice(0, 5),
        ledgerWithoutJournal: v.ledgerWithoutJournal.slice(0, 5), fencePast: fencePast.slice(0, 5), disagreeing: Object.values(disagreeing).some((n) => n > 0) ? [disagreeing] : [],
      };
      const ok = Object.values(broken).every((list) => list.length === 0);
      if (!ok) {
        process.stdout.write(`INVARIANTS BROKEN (first few of each): ${JSON.stringify(broken, null, 2)}\n`);
        // The evidence, for the orders a check named: their journals and ledger entries (the cluster is gone after the run).
        const named = new Set([...v.nonLinear.map((o) => o.orderId), ...v.ledgerViolations.map((o) => o.orderId), ...v.notTerminal.map((o) => o.orderId)]);
        const evidence = [...named].map((orderId) => ({ orderId, journal: run.journals.get(orderId) ?? [], ledger: run.ledger.filter((e) => e.orderId === orderId) }));
        const file = join(logDir, 'broken-orders.json');
        await writeFile(file, JSON.stringify(evidence, null, 2));
        process.stdout.write(`journals and ledger entries of the orders named above: ${file}\n`);
      }
      process.exitCode = ok ? 0 : 1;
    } finally {
      lines.stop();
      downstream.close();
      await db.shutdown();
    }
  } catch (err) {
    process.stderr.write(`chaos:partition: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await stop();
  }
}

void main();
