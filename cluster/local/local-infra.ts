import { rm } from 'node:fs/promises';
import type { Logger } from '../../src/observability/logger.js';
import { createKafkaClient, type KafkaClientConfig } from '../../src/messaging/kafka-client.js';
import { ensureTopics } from '../../src/messaging/topic-admin.js';
import { connectWithRetry, createCassandraClient, type CassandraClientConfig } from '../../src/storage/cassandra-client.js';
import { applySchema } from '../../src/storage/schema.js';
import { startCassandra, type CassandraInstance } from './cassandra/cassandra-launcher.js';
import { startMockBroker, type MockBroker } from './kafka/mock-broker.js';
import type { TopicPlan } from '../../src/messaging/topic-plan.js';

export interface LocalInfraOptions {
  /** Existing clusters (from env); when set, nothing of that kind is started. */
  cassandraContactPoints?: string[];
  cassandraLocalDc?: string;
  kafkaBrokers?: string[];
  keyspace: string;
  topics: TopicPlan[];
  cassandraDataDir?: string;
  cassandraHeapMb?: number;
  /** Creates topics on an adopted broker that has no admin API (the tests' shared mock broker). */
  provisionTopics?: (topics: TopicPlan[]) => Promise<void>;
  /** For jobs that need only Cassandra (some benchmarks). */
  skipKafka?: boolean;
  /** Login and TLS for an existing Cassandra, and TLS/SASL for existing brokers (the nodes' own settings). */
  cassandraSecurity?: Pick<CassandraClientConfig, 'credentials' | 'tls'>;
  kafkaSecurity?: Pick<KafkaClientConfig, 'ssl' | 'sasl'>;
  /** IPv4 address Cassandra and the broker listen on (default loopback); the partition harness names a veth address. */
  bindAddress?: string;
  logger: Logger;
}

export interface LocalInfra {
  cassandraContactPoints: string[];
  cassandraLocalDc: string;
  kafkaBrokers: string[];
  /** Present when this launcher started them. */
  cassandra?: CassandraInstance;
  broker?: MockBroker;
  timings: { cassandraMs?: number; brokerMs?: number; schemaMs: number };
  /** Crash and restart the Cassandra started here, on the same data and port (for failure tests). */
  killCassandra(): Promise<void>;
  restartCassandra(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * JVM and commitlog settings of the local cluster's Cassandra (commitlog_sync stays `batch`:
 * durable). Env overrides for A/B runs: CASSANDRA_JIT=c1|full, CASSANDRA_HEAP_MB,
 * CASSANDRA_COMMITLOG_WINDOW_MS (whole ms).
 */
export function cassandraTuning(opts: { cassandraHeapMb?: number }, env: NodeJS.ProcessEnv = process.env): { heapMb: number; jit: 'c1' | 'full'; commitlogWindowMs: number } {
  const jit = env.CASSANDRA_JIT ?? DEFAULT_TUNING.jit;
  if (jit !== 'c1' && jit !== 'full') throw new Error(`CASSANDRA_JIT must be c1 or full, got ${jit}`);
  return {
    heapMb: opts.cassandraHeapMb ?? (env.CASSANDRA_HEAP_MB ? Number(env.CASSANDRA_HEAP_MB) : DEFAULT_TUNING.heapMb),
    jit,
    commitlogWindowMs: env.CASSANDRA_COMMITLOG_WINDOW_MS ? Number(env.CASSANDRA_COMMITLOG_WINDOW_MS) : DEFAULT_TUNING.commitlogWindowMs,
  };
}

const DEFAULT_TUNING = { heapMb: 256, jit: 'c1', commitlogWindowMs: 2 } as const;

/**
 * Cassandra and a Kafka-protocol broker for local runs and tests: started here unless existing
 * ones are named, then the schema applied (from this one process, before any node starts) and
 * the topics provisioned.
 */
export async function startLocalInfra(opts: LocalInfraOptions): Promise<LocalInfra> {
  const log = opts.logger;
  const stops: Array<() => Promise<void>> = [];
  const timings: LocalInfra['timings'] = { schemaMs: 0 };
  const stopAll = async () => { for (const s of stops.reverse()) await s().catch(() => undefined); };
  try {
    let cassandra: CassandraInstance | undefined;
    let contactPoints = opts.cassandraContactPoints;
    const cassandraLogger = { info: (m: string) => log.info(m), warn: (m: string) => log.warn(m) };
    if (!contactPoints?.length) {
      const t0 = Date.now();
      cassandra = await startCassandra({ commitlogSync: 'batch', host: opts.bindAddress, dataDir: opts.cassandraDataDir, ...cassandraTuning(opts), logger: cassandraLogger });
      timings.cassandraMs = Date.now() - t0;
      const dataDir = cassandra.dataDir;
      stops.push(async () => {
        await cassandra?.stop();
        if (!opts.cassandraDataDir) await rm(dataDir, { recursive: true, force: true });
      });
      contactPoints = [cassandra.contactPoint];
      log.info({ contactPoint: cassandra.contactPoint, ms: timings.cassandraMs }, 'local Cassandra ready');
    }
    const localDc = opts.cassandraLocalDc ?? 'datacenter1';
    // Security settings describe the operator's cluster; a Cassandra started here has no login.
    const client = createCassandraClient({ contactPoints, localDataCenter: localDc, ...(cassandra ? {} : opts.cassandraSecurity) });
    try {
      const t0 = Date.now();
      await connectWithRetry(client, { attempts: 5, backoff: { initialMs: 500, maxMs: 4_000 } });
      await applySchema(client, opts.keyspace);
      timings.schemaMs = Date.now() - t0;
    } finally {
      await client.shutdown();
    }

    let broker: MockBroker | undefined;
    let brokers = opts.kafkaBrokers;
    if (opts.skipKafka) {
      brokers = [];
    } else if (!brokers?.length) {
      const t0 = Date.now();
      broker = await startMockBroker({ topics: opts.topics, bindAddress: opts.bindAddress });
      timings.brokerMs = Date.now() - t0;
      const started = broker;
      stops.push(() => started.stop());
      brokers = broker.brokers;
      log.info({ bootstrap: broker.bootstrap, ms: timings.brokerMs }, 'local Kafka-protocol broker ready');
    } else if (opts.provisionTopics) {
      await opts.provisionTopics(opts.topics);
    } else {
      const kafka = createKafkaClient({ clientId: 'checkout-provisioner', brokers, logLevel: 'warn', ...opts.kafkaSecurity }, log);
      await ensureTopics(kafka, opts.topics.map((t) => ({ topic: t.name, numPartitions: t.partitions })), log);
    }
    const own = () => {
      if (!cassandra) throw new Error('this cluster adopted an existing Cassandra; it cannot be killed from here');
      return cassandra;
    };
    const infra: LocalInfra = {
      cassandraContactPoints: contactPoints, cassandraLocalDc: localDc, kafkaBrokers: brokers, cassandra, broker, timings, stop: stopAll,
      killCassandra: () => own().kill(),
      async restartCassandra() {
        const { dataDir, port } = own();
        cassandra = await startCassandra({ commitlogSync: 'batch', host: opts.bindAddress, dataDir, port, ...cassandraTuning(opts), logger: cassandraLogger });
        infra.cassandra = cassandra;
      },
    };
    return infra;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
