import type { Client } from 'cassandra-driver';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Config } from '../src/config/config.js';
import { startGrpcServer, type GrpcServerHandle } from '../src/edge/grpc-server.js';
import { loadCheckoutProto } from '../src/grpc/protos.js';
import { watchDependencies, type DependencyHealth } from '../src/health/dependency-health.js';
import { createKafkaClient } from '../src/messaging/kafka-client.js';
import type { Logger } from '../src/observability/logger.js';
import { connectWithRetry, createCassandraClient } from '../src/storage/cassandra-client.js';

export interface CheckoutNode {
  nodeId: string;
  grpcAddress: string;
  /** Graceful: stop taking calls, finish what runs (up to graceMs), close connections. */
  stop(graceMs?: number): Promise<void>;
}

const HEALTH_SERVICES = ['', 'checkout.v1.CheckoutService'];

/**
 * One checkout node: connects to Cassandra and Kafka (failing fast with a clear message when
 * either is unreachable), serves gRPC, and reports SERVING only while both answer.
 */
export async function startCheckoutNode(config: Config, logger: Logger): Promise<CheckoutNode> {
  const cassandra = createCassandraClient({
    contactPoints: config.CASSANDRA_CONTACT_POINTS,
    localDataCenter: config.CASSANDRA_LOCAL_DC,
    logger: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
  });
  const kafka = createKafkaClient({ clientId: `${config.KAFKA_CLIENT_ID}-${config.NODE_ID}`, brokers: config.KAFKA_BROKERS, logLevel: 'warn' }, logger);
  // Idempotent, so a retried send never duplicates a command; retries are bounded by callers' deadlines.
  const producer = kafka.producer({
    idempotent: true, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5_000 },
  });
  const closers: Array<() => Promise<void>> = [];
  try {
    await connectWithRetry(cassandra, { attempts: 5, backoff: { initialMs: 500, maxMs: 4_000 } });
    closers.push(() => cassandra.shutdown());
    await connectKafka(producer, config.KAFKA_BROKERS, config.KAFKA_CONNECT_TIMEOUT_MS);
    closers.push(() => producer.disconnect());

    const checkoutProto = loadCheckoutProto();
    const grpc: GrpcServerHandle = await startGrpcServer({
      host: config.GRPC_HOST,
      port: config.GRPC_PORT,
      reflect: [checkoutProto.definition],
      register: () => undefined,
    });
    closers.push(() => grpc.stop(2_000));

    const health: DependencyHealth = watchDependencies({
      probes: [cassandraProbe(cassandra), kafkaProbe(kafka)],
      health: grpc.health,
      services: HEALTH_SERVICES,
      intervalMs: 2_000,
      timeoutMs: 1_500,
      logger,
    });
    closers.push(async () => health.stop());
    await health.checkNow();

    return {
      nodeId: config.NODE_ID,
      grpcAddress: grpc.address,
      stop: async () => {
        for (const close of closers.reverse()) await close().catch((err: unknown) => logger.warn({ err: String(err) }, 'error while stopping'));
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await cassandra.shutdown().catch(() => undefined);
    throw err;
  }
}

async function connectKafka(producer: Producer, brokers: string[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs); });
  try {
    await Promise.race([producer.connect(), timeout]);
  } catch (err) {
    void producer.disconnect().catch(() => undefined);
    throw new Error(`Cannot reach Kafka at ${brokers.join(', ')} (${(err as Error).message}). Point KAFKA_BROKERS at a running cluster (host:port[,host:port]), or leave it unset to let the project start its own broker.`);
  } finally {
    clearTimeout(timer);
  }
}

const cassandraProbe = (client: Client) => ({
  name: 'cassandra',
  check: async () => { await client.execute('SELECT release_version FROM system.local'); },
});

const kafkaProbe = (kafka: Kafka) => {
  const admin = kafka.admin();
  let connected = false;
  return {
    name: 'kafka',
    check: async () => {
      if (!connected) { await admin.connect(); connected = true; }
      await admin.fetchTopicMetadata({ topics: [] });
    },
  };
};
