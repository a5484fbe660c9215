/**
 * `npm run chaos:long`: the chaos test's run at length, on a cluster of its own (Cassandra with a
 * durable commitlog, the Kafka-protocol broker, the downstream services and 3 nodes, as
 * `npm start` starts them). Orders arrive at a steady rate on all edges under downstream faults
 * while a random node is SIGKILLed every few seconds and restarted; then every order is waited
 * on and the journals and ledgers are judged. Prints progress, a one-line JSON summary and the
 * figures; exits non-zero if an invariant broke. Node logs stay in .run/chaos-long-<time>/.
 *
 *   --orders N        orders to place (CHAOS_ORDERS, default 5000)
 *   --rate N          orders per second (CHAOS_RATE, default 12)
 *   --kill-every A-B  ms between kills (CHAOS_KILL_EVERY, default 2500-4500)
 *   --down A-B        ms a killed node stays down before its restart (CHAOS_DOWN, default 500-7000)
 *   --cancel F        share of orders cancelled (CHAOS_CANCEL, default 0.03)
 *   --seed N          faults and kill choices (CHAOS_SEED, default from the clock)
 *   --nodes N         (CHAOS_NODES, default 3)
 *   --outage MIX      extra faults, each maybe for a window, as `checkout load --faults` takes them
 *                     (CHAOS_OUTAGE), e.g. fraud.assess=1@20s-50s,logistics.quotedelivery=1@20s-50s
 */
import { parseArgs } from 'node:util';
import { createTokenService } from '../../src/edge/auth.js';
import { createDownstreamClients } from '../../src/clients/downstream-clients.js';
import { projectPath } from '../../src/config/paths.js';
import { createLogger } from '../../src/observability/logger.js';
import { connectWithRetry, createCassandraClient } from '../../src/storage/cassandra-client.js';
import { CHAOS_DEFAULTS, runChaos, type ChaosRunResult } from '../local/chaos/chaos-run.js';
import { startLocalCluster, type LocalCluster } from '../local/local-cluster.js';
import { table } from '../../src/load/stats.js';
import { formatFaultMix, parseFaultMix } from '../../src/load/fault-mix.js';
import { formatSavedShares } from '../local/chaos/saved-shares.js';

function options() {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string' }, rate: { type: 'string' }, 'kill-every': { type: 'string' }, down: { type: 'string' },
      cancel: { type: 'string' }, seed: { type: 'string' }, nodes: { type: 'string' }, outage: { type: 'string' },
    },
  });
  const env = process.env;
  const num = (v: string | undefined, fallback: number, name: string) => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got "${v}"`);
    return n;
  };
  const range = (v: string | undefined, fallback: [number, number], name: string): [number, number] => {
    if (v === undefined) return fallback;
    const m = /^(\d+)-(\d+)$/.exec(v);
    if (!m || Number(m[1]) > Number(m[2])) throw new Error(`--${name} must be MIN-MAX in ms, e.g. 2500-4500; got "${v}"`);
    return [Number(m[1]), Number(m[2])];
  };
  return {
    orders: num(values.orders ?? env.CHAOS_ORDERS, 5_000, 'orders'),
    ratePerSec: num(values.rate ?? env.CHAOS_RATE, CHAOS_DEFAULTS.ratePerSec, 'rate'),
    killEveryMs: range(values['kill-every'] ?? env.CHAOS_KILL_EVERY, CHAOS_DEFAULTS.killEveryMs, 'kill-every'),
    downMs: range(values.down ?? env.CHAOS_DOWN, CHAOS_DEFAULTS.downMs, 'down'),
    cancelFraction: num(values.cancel ?? env.CHAOS_CANCEL, CHAOS_DEFAULTS.cancelFraction, 'cancel'),
    seed: num(values.seed ?? env.CHAOS_SEED, Date.now() % 1_000_000 || 1, 'seed'),
    nodes: num(values.nodes ?? env.CHAOS_NODES, 3, 'nodes'),
    outage: parseFaultMix(values.outage ?? env.CHAOS_OUTAGE ?? ''),
  };
}

function figures(run: ChaosRunResult): string {
  const s = run.summary;
  const ms = (v: number | undefined) => (v === undefined ? '-' : (v / 1000).toFixed(1));
  return table([
    { figure: 'orders accepted / keys sent', value: `${s.orders} / ${s.keys}` },
    { figure: 'completed / failed / cancelled', value: `${s.completed} / ${s.failed} / ${s.cancelled}` },
    { figure: 'not terminal / lost / unannounced', value: `${s.notTerminal} / ${s.lost} / ${s.unannounced}` },
    { figure: 'non-linear journals / ledger violations', value: `${s.nonLinear} / ${s.ledgerViolations}` },
    { figure: 'orders written by more than one node', value: s.multiWriterOrders },
    { figure: 'kills (with orders in flight)', value: `${s.kills} (${s.perKill.filter((k) => k.inFlight > 0).length})` },
    { figure: 'failover s, kill → another node\'s first step (p50 / p90 / max)', value: `${ms(s.failoverMs.p50)} / ${ms(s.failoverMs.p90)} / ${ms(s.failoverMs.max)}` },
    { figure: 'longest wait between two events of one order s (p50 / p90 / max)', value: `${ms(s.orderStallMs.p50)} / ${ms(s.orderStallMs.p90)} / ${ms(s.orderStallMs.max)}` },
    { figure: 'PlaceOrder s incl. retries (p50 / p90 / max)', value: `${ms(s.placeMs.p50)} / ${ms(s.placeMs.p90)} / ${ms(s.placeMs.max)}` },
    { figure: 'PlaceOrder retries on another node', value: s.placeRetries },
    { figure: 'load / drain / total s', value: `${ms(s.durationMs.load)} / ${ms(s.durationMs.drain)} / ${ms(s.durationMs.total)}` },
    { figure: 'accepted orders per second of load', value: (s.orders / (s.durationMs.load / 1000)).toFixed(1) },
    { figure: 'orders saved by retry / by fallback (share of all orders)', value: `${s.saved.savedByRetry} (${s.saved.retryPct}%) / ${s.saved.savedByFallback} (${s.saved.fallbackPct}%)` },
    { figure: 'fallbacks taken by dependency', value: Object.entries(s.saved.fallbacks).map(([d, n]) => `${d} ${n}`).join(', ') || 'none' },
  ]);
}

async function main(): Promise<void> {
  const opts = options();
  const logger = createLogger({ level: 'warn', name: 'chaos-long' });
  const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const logDir = projectPath('.run', `chaos-long-${stamp}`);
  let cluster: LocalCluster | undefined;
  const stop = async () => { await cluster?.stop().catch(() => undefined); };
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    log(`starting Cassandra, the broker, the downstream services and ${opts.nodes} nodes (logs in ${logDir})`);
    cluster = await startLocalCluster({
      nodes: opts.nodes, logger, logDir, keyspace: `chaos_${Date.now().toString(36)}`,
      env: { ...CHAOS_DEFAULTS.nodeEnv, STEP_BACKOFF_BASE_MS: '20', STEP_BACKOFF_MAX_MS: '200' },
      downstreamLatency: JSON.stringify(CHAOS_DEFAULTS.latency),
      cassandraContactPoints: process.env.CASSANDRA_CONTACT_POINTS?.split(',').filter(Boolean),
      kafkaBrokers: process.env.KAFKA_BROKERS?.split(',').filter(Boolean),
    });
    const db = createCassandraClient({ contactPoints: cluster.infra.cassandraContactPoints, localDataCenter: cluster.infra.cassandraLocalDc });
    await connectWithRetry(db, { attempts: 5, backoff: { initialMs: 500, maxMs: 4_000 } });
    const downstream = createDownstreamClients(cluster.downstreamAddress, { adminSecret: cluster.downstreamAdminSecret });
    const tokens = createTokenService({ secret: cluster.config.AUTH_SECRET });
    log(`cluster up; placing ${opts.orders} orders at ${opts.ratePerSec}/s, a kill every ${opts.killEveryMs.join('-')} ms, seed ${opts.seed}, outage ${formatFaultMix(opts.outage)}`);
    try {
      const run = await runChaos({
        ...opts, cluster, db, keyspace: cluster.config.CASSANDRA_KEYSPACE, admin: downstream.admin,
        token: (c) => tokens.mint(c, { ttlSeconds: 24 * 3600 }), drainTimeoutMs: 300_000, log,
      });
      process.stdout.write(`\nchaos summary ${JSON.stringify(run.summary)}\n\n${figures(run)}\n\n${formatSavedShares(run.summary.saved)}\n\n`);
      const v = run.verdict;
      const broken = { unanswered: run.placed.filter((p) => p.outcome !== 'accepted').slice(0, 3), notTerminal: v.notTerminal.slice(0, 5), lost: v.lost.slice(0, 5), nonLinear: v.nonLinear.slice(0, 5), ledgerViolations: v.ledgerViolations.slice(0, 5), ledgerWithoutJournal: v.ledgerWithoutJournal.slice(0, 5) };
      const ok = Object.values(broken).every((list) => list.length === 0);
      if (!ok) process.stdout.write(`INVARIANTS BROKEN (first few of each): ${JSON.stringify(broken, null, 2)}\n`);
      process.exitCode = ok ? 0 : 1;
    } finally {
      downstream.close();
      await db.shutdown();
    }
  } catch (err) {
    process.stderr.write(`chaos:long: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  } finally {
    await stop();
  }
}

void main();
