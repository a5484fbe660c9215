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
    const node: ServiceProcess = await startServiceProcess({
      name: 'node-1',
      entry: 'dist/cluster/node-main.js',
      env: { ...env, NODE_ID: 'node-1', CASSANDRA_CONTACT_POINTS: infra.cassandraContactPoints.join(','), KAFKA_BROKERS: infra.kafkaBrokers.join(',') },
      readyMessage: 'node ready',
      logFile: `${runDir}/node-1.log`,
    });
    started.push(node);
    process.stdout.write([
      '',
      'Local checkout cluster is up.',
      `  gRPC (node-1):  ${String(node.ready.grpcAddress)}   (grpc.health.v1.Health, server reflection)`,
      `  Cassandra:      ${infra.cassandraContactPoints.join(',')}`,
      `  Kafka:          ${infra.kafkaBrokers.join(',')}`,
      `  Logs:           ${runDir}/`,
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'));
  } catch (err) {
    process.stderr.write(`\nnpm start: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    await stopEverything(1);
  }
}

void main();
