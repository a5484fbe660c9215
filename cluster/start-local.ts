/**
 * `npm start`: a local checkout cluster on this machine. Starts Cassandra and the Kafka-protocol
 * broker (unless CASSANDRA_CONTACT_POINTS / KAFKA_BROKERS name existing ones), then the nodes;
 * Ctrl-C stops everything it started.
 */
import { mkdir } from 'node:fs/promises';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { projectPath } from '../src/config/paths.js';
import { createLogger } from '../src/observability/logger.js';
import { startLocalInfra } from './local-infra.js';
import { startServiceProcess, type ServiceProcess } from './service-process.js';
import { plannedTopics } from './topics.js';
import { createTokenService } from '../src/edge/auth.js';

/** Downstream latencies that look like real services (ms): an order takes about a quarter second. */
const DEMO_LATENCY = JSON.stringify([
  { target: 'catalog.*', fixedMs: 5, jitterMs: 10 }, { target: 'fraud.*', fixedMs: 30, jitterMs: 10 },
  { target: 'payments.*', fixedMs: 60, jitterMs: 30 }, { target: 'logistics.*', fixedMs: 50, jitterMs: 20 },
  { target: 'merchant.*', fixedMs: 40, jitterMs: 20 },
]);

async function main(): Promise<void> {
  const env = process.env;
  const placeholder = { CASSANDRA_CONTACT_POINTS: env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:1', KAFKA_BROKERS: env.KAFKA_BROKERS ?? '127.0.0.1:1' };
  const base = loadConfig({ ...env, ...placeholder });
  const logger = createLogger({ level: base.LOG_LEVEL, name: 'launcher' });
  const runDir = projectPath('.run', 'local');
  await mkdir(runDir, { recursive: true });

  const started: Array<{ stop(): Promise<void> }> = [];
  let stopping = false;
  const stopEverything = async (code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping the local cluster');
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stopEverything(0));
  process.on('SIGTERM', () => void stopEverything(0));

  try {
    const infra = await startLocalInfra({
      cassandraContactPoints: env.CASSANDRA_CONTACT_POINTS ? base.CASSANDRA_CONTACT_POINTS : undefined,
      cassandraLocalDc: base.CASSANDRA_LOCAL_DC,
      kafkaBrokers: env.KAFKA_BROKERS ? base.KAFKA_BROKERS : undefined,
      keyspace: base.CASSANDRA_KEYSPACE,
      topics: plannedTopics(base),
      logger,
    });
    started.push(infra);
    const downstream: ServiceProcess = await startServiceProcess({
      name: 'downstream', entry: 'dist/src/downstream/downstream-main.js', readyMessage: 'downstream ready',
      env: { ...env, DOWNSTREAM_LATENCY: env.DOWNSTREAM_LATENCY ?? DEMO_LATENCY }, logFile: `${runDir}/downstream.log`,
    });
    started.push(downstream);
    const nodeEnv = {
      // Shorter than production's: a killed local node's shards move in seconds, not half a minute.
      KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKA_HEARTBEAT_INTERVAL_MS: '500',
      ...env,
      CASSANDRA_CONTACT_POINTS: infra.cassandraContactPoints.join(','),
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      DOWNSTREAM_ADDRESS: String(downstream.ready.address),
    };
    const nodeCount = Number(env.NODES ?? 3);
    // Together: every join makes the group wait out a rebalance, so joining at once waits once.
    const nodes = await Promise.all(Array.from({ length: nodeCount }, (_, i) => startServiceProcess({
      name: `node-${i + 1}`, entry: 'dist/cluster/node-main.js', env: { ...nodeEnv, NODE_ID: `node-${i + 1}` },
      readyMessage: 'node ready', logFile: `${runDir}/node-${i + 1}.log`,
    }).then((node) => { started.push(node); return node; })));
    const token = await createTokenService({ secret: base.AUTH_SECRET }).mint('c-demo', { ttlSeconds: 24 * 3600 });
    process.stdout.write([
      '',
      'Local checkout cluster is up.',
      ...nodes.map((n) => `  gRPC (${n.name}):  ${String(n.ready.grpcAddress)}   http: ${String(n.ready.httpAddress)} (/metrics, /healthz, /ws)`),
      `  Downstream:      ${String(downstream.ready.address)}`,
      `  Cassandra:       ${infra.cassandraContactPoints.join(',')}`,
      `  Kafka:           ${infra.kafkaBrokers.join(',')}`,
      `  Logs:            ${runDir}/`,
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
