/**
 * `npm start`: a local checkout cluster on this machine — Cassandra and the Kafka-protocol broker
 * (unless CASSANDRA_CONTACT_POINTS / KAFKA_BROKERS name existing ones), the downstream services
 * and three nodes. Ctrl-C stops everything it started.
 */
import { ConfigError } from '../src/config/config.js';
import { createTokenService } from '../src/edge/auth.js';
import { createLogger } from '../src/observability/logger.js';
import { projectPath } from '../src/config/paths.js';
import { startLocalCluster, type LocalCluster } from './local-cluster.js';

/** Downstream latencies that look like real services (ms): an order takes about a quarter second. */
const DEMO_LATENCY = JSON.stringify([
  { target: 'catalog.*', fixedMs: 5, jitterMs: 10 }, { target: 'fraud.*', fixedMs: 30, jitterMs: 10 },
  { target: 'payments.*', fixedMs: 60, jitterMs: 30 }, { target: 'logistics.*', fixedMs: 50, jitterMs: 20 },
  { target: 'merchant.*', fixedMs: 40, jitterMs: 20 },
]);

async function main(): Promise<void> {
  const env = process.env;
  const logger = createLogger({ level: env.LOG_LEVEL ?? 'info', name: 'launcher' });
  let cluster: LocalCluster | undefined;
  let stopping = false;
  const stopEverything = async (code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping the local cluster');
    await cluster?.stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stopEverything(0));
  process.on('SIGTERM', () => void stopEverything(0));

  try {
    const logDir = projectPath('.run', 'local');
    cluster = await startLocalCluster({
      nodes: Number(env.NODES ?? 3),
      logger,
      logDir,
      downstreamLatency: env.DOWNSTREAM_LATENCY ?? DEMO_LATENCY,
      cassandraContactPoints: env.CASSANDRA_CONTACT_POINTS?.split(',').filter(Boolean),
      kafkaBrokers: env.KAFKA_BROKERS?.split(',').filter(Boolean),
    });
    const token = await createTokenService({ secret: cluster.config.AUTH_SECRET }).mint('c-demo', { ttlSeconds: 24 * 3600 });
    process.stdout.write([
      '',
      'Local checkout cluster is up.',
      ...cluster.nodes.map((n) => `  gRPC (${n.id}):  ${n.grpcAddress}   http: ${n.httpAddress} (/metrics, /healthz, /ws)`),
      `  Downstream:      ${cluster.downstreamAddress}`,
      `  Cassandra:       ${cluster.infra.cassandraContactPoints.join(',')}`,
      `  Kafka:           ${cluster.infra.kafkaBrokers.join(',')}`,
      `  Logs:            ${logDir}/`,
      `  Token (c-demo):  ${token}`,
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'));
  } catch (err) {
    process.stderr.write(`\nnpm start: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    await stopEverything(1);
  }
}

void main();
