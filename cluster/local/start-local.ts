/**
 * `npm start`: a local checkout cluster on this machine — Cassandra and the Kafka-protocol broker
 * (unless CASSANDRA_CONTACT_POINTS / KAFKA_BROKERS name existing ones), the downstream services
 * and three nodes — then a demo load through the CLI's load (DEMO_RATE orders/s, default 5, 0
 * for none; DEMO_FAULTS, a fault mix as `checkout load --faults` takes). Ctrl-C stops everything.
 */
import { startDemoLoad, type DemoLoad } from '../../src/cli/demo-load.js';
import { ConfigError } from '../../src/config/config.js';
import { formatFaultMix, parseFaultMix, type FaultMixEntry } from '../../src/load/fault-mix.js';
import { createTokenService } from '../../src/edge/auth.js';
import { createLogger } from '../../src/observability/logger.js';
import { projectPath } from '../../src/config/paths.js';
import { startLocalCluster, type LocalCluster } from './local-cluster.js';
import type { ClusterSummary } from '../../src/dashboard/cluster-summary.js';

/** Downstream latencies that look like real services (ms): an order takes about a quarter second. */
const DEMO_LATENCY = JSON.stringify([
  { target: 'catalog.*', fixedMs: 5, jitterMs: 10 }, { target: 'fraud.*', fixedMs: 30, jitterMs: 10 },
  { target: 'payments.*', fixedMs: 60, jitterMs: 30 }, { target: 'logistics.*', fixedMs: 50, jitterMs: 20 },
  { target: 'merchant.*', fixedMs: 40, jitterMs: 20 },
]);

/**
 * A small transient mix that retries save, and from 30 s to 60 s an outage of fraud, the delivery
 * quote and the merchant tablets that the default fallbacks save: the dashboard shows both.
 */
const DEMO_FAULTS = 'payments.authorize=0.03,logistics.createdelivery=0.02,merchant.sendorder=0.02,'
  + 'fraud.assess=1@30s-60s,logistics.quotedelivery=1@30s-60s,merchant.sendorder=1@30s-60s';

/** How often the launcher prints the share of orders saved by retry and by fallback. */
const SHARES_EVERY_MS = 15_000;

/** DEMO_RATE and DEMO_FAULTS, checked before anything starts. */
function demoSettings(env: NodeJS.ProcessEnv): { rate: number; faults: FaultMixEntry[] } {
  const rate = Number(env.DEMO_RATE ?? 5);
  if (!Number.isFinite(rate) || rate < 0) throw new ConfigError(`DEMO_RATE must be a number of orders per second >= 0 (0: no demo load), got "${env.DEMO_RATE}"`);
  try {
    return { rate, faults: parseFaultMix(env.DEMO_FAULTS ?? DEMO_FAULTS) };
  } catch (err) {
    throw new ConfigError(`DEMO_FAULTS: ${(err as Error).message}`);
  }
}

/** One line from the dashboard's summary: completed orders saved by retry and by fallback, as shares of all ended. */
async function printShares(adminAddress: string | undefined, token: string | undefined): Promise<void> {
  if (!adminAddress || !token) return;
  try {
    const res = await fetch(`http://${adminAddress}/api/dashboard`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(2_000) });
    const s = await res.json() as ClusterSummary;
    const ended = s.orders.completed + s.orders.failed + s.orders.cancelled;
    const pct = (n: number) => (ended ? `${((100 * n) / ended).toFixed(1)}%` : '-');
    const by = Object.entries(s.fallbacks.byDependency).map(([d, n]) => `${d} ${n}`).join(', ') || 'none';
    process.stdout.write(`\n${ended} orders ended (${s.orders.completed} completed): saved by retry ${s.retries.savedByRetry} (${pct(s.retries.savedByRetry)}), `
      + `by fallback ${s.fallbacks.savedByFallback} (${pct(s.fallbacks.savedByFallback)}); fallbacks taken: ${by}\n`);
  } catch {
    // The summary is a courtesy; a node that is busy or stopping just skips a line.
  }
}

async function main(): Promise<void> {
  const env = process.env;
  const logger = createLogger({ level: env.LOG_LEVEL ?? 'info', name: 'launcher' });
  let cluster: LocalCluster | undefined;
  let demo: DemoLoad | undefined;
  let sharesTimer: NodeJS.Timeout | undefined;
  let sharesToken: string | undefined;
  let stopping = false;
  const stopEverything = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (sharesTimer) clearInterval(sharesTimer);
    await demo?.stop().catch(() => undefined);
    if (cluster) await printShares(cluster.nodes[0]?.adminAddress, sharesToken);
    logger.info('stopping the local cluster');
    await cluster?.stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stopEverything(0));
  process.on('SIGTERM', () => void stopEverything(0));

  try {
    const demoRun = demoSettings(env);
    const logDir = projectPath('.run', 'local');
    cluster = await startLocalCluster({
      nodes: Number(env.NODES ?? 3),
      logger,
      logDir,
      downstreamLatency: env.DOWNSTREAM_LATENCY ?? DEMO_LATENCY,
      cassandraContactPoints: env.CASSANDRA_CONTACT_POINTS?.split(',').filter(Boolean),
      kafkaBrokers: env.KAFKA_BROKERS?.split(',').filter(Boolean),
    });
    const tokens = createTokenService({ secret: cluster.config.AUTH_SECRET });
    const token = await tokens.mint('c-demo', { ttlSeconds: 24 * 3600 });
    const adminToken = await tokens.mint('ops', { role: 'admin', ttlSeconds: 24 * 3600 });
    const first = cluster.nodes[0]!;
    process.stdout.write([
      '',
      'Local checkout cluster is up.',
      ...cluster.nodes.map((n) => `  gRPC (${n.id}):  ${n.grpcAddress}   http: ${n.httpAddress} (/ws, /healthz)   admin: ${n.adminAddress} (dashboard, /api, /metrics)`),
      `  Downstream:      ${cluster.downstreamAddress}   admin secret: ${cluster.downstreamAdminSecret} (DOWNSTREAM_ADMIN_SECRET, for checkout load --faults)`,
      `  Cassandra:       ${cluster.infra.cassandraContactPoints.join(',')}`,
      `  Kafka:           ${cluster.infra.kafkaBrokers.join(',')}`,
      `  Logs:            ${logDir}/`,
      `  Token (c-demo):  ${token}`,
      `  Dashboard:       http://${first.adminAddress}/  (paste the admin token)`,
      `  Admin token:     ${adminToken}`,
      `  CLI:             node dist/src/cli/main.js --address ${first.grpcAddress} place   (see README, "CLI")`,
      `  Demo load:       ${demoRun.rate > 0 ? `${demoRun.rate} orders/s, faults ${formatFaultMix(demoRun.faults)} (DEMO_RATE=0 turns it off)` : 'off (DEMO_RATE=0)'}`,
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'));
    if (demoRun.rate > 0 && !stopping) {
      demo = await startDemoLoad({
        addresses: cluster.nodes.map((n) => n.grpcAddress!), downstreamAddress: cluster.downstreamAddress, downstreamAdminSecret: cluster.downstreamAdminSecret, secret: cluster.config.AUTH_SECRET,
        ratePerSec: demoRun.rate, faults: demoRun.faults, stream: process.stdout, tty: Boolean(process.stdout.isTTY),
      });
      sharesToken = await tokens.mint('demo-shares', { role: 'operator', ttlSeconds: 24 * 3600 });
      sharesTimer = setInterval(() => void printShares(first.adminAddress, sharesToken), SHARES_EVERY_MS);
    }
  } catch (err) {
    process.stderr.write(`\nnpm start: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    await stopEverything(1);
  }
}

void main();
