import { randomUUID } from 'node:crypto';
import type { Client } from 'cassandra-driver';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DEV_AUTH_SECRET, type Config } from '../src/config/config.js';
import { cassandraSecurityOf, kafkaSecurityOf, serverTlsOf } from '../src/config/transport-security.js';
import { createDashboard } from '../src/dashboard/dashboard.js';
import { createDownstreamClients } from '../src/clients/downstream-clients.js';
import { startGrpcServer } from '../src/edge/grpc-server.js';
import { loadCheckoutProto } from '../src/grpc/protos.js';
import { createStatusCodec } from '../src/grpc/status-details.js';
import { watchDependencies } from '../src/health/dependency-health.js';
import { createKafkaClient } from '../src/messaging/kafka-client.js';
import type { Logger } from '../src/observability/logger.js';
import { connectWithRetry, createCassandraClient } from '../src/storage/cassandra-client.js';
import { startNodeEdge } from './node-edge.js';
import { startNodeOrders } from './node-orders.js';
import { adminRoutes, publicRoutes, startNodeHttp } from './node-http.js';

export interface CheckoutNode {
  nodeId: string;
  grpcAddress: string;
  /** The public HTTP listener: websocket at /ws, /healthz. */
  httpAddress: string;
  /** The admin HTTP listener: dashboard, /api, /metrics. */
  adminAddress: string;
  ownedShards(): number[];
  /** Graceful: stop taking calls, hand shards over, finish in-flight sends, close connections. */
  stop(): Promise<void>;
}

const HEALTH_SERVICES = ['', 'checkout.v1.CheckoutService'];

/**
 * One checkout node: the gRPC edge and websocket, the Kafka consumer of its shards with their
 * order actors, the status fan-out, and the connections they share. Any number of nodes; all equal.
 */
export async function startCheckoutNode(config: Config, logger: Logger, opts: {
  /** How the dashboard's admin stop ends this node (node-main: the SIGTERM path); unset, it cannot. */
  requestStop?: () => void;
} = {}): Promise<CheckoutNode> {
  if (config.CHECKOUT_DEV_MODE) {
    logger.warn({ devSecret: config.AUTH_SECRET === DEV_AUTH_SECRET }, 'CHECKOUT_DEV_MODE is set: a local development node, not for production (it accepts tokens signed with the public dev secret when AUTH_SECRET is unset)');
  }
  if (!config.DOWNSTREAM_ADDRESS) throw new Error('DOWNSTREAM_ADDRESS is required: host:port of the downstream services (npm start runs them)');
  // Read before anything connects: a missing certificate is a configuration error, said at once.
  const serverTls = serverTlsOf(config);
  const cassandra = createCassandraClient({
    contactPoints: config.CASSANDRA_CONTACT_POINTS,
    localDataCenter: config.CASSANDRA_LOCAL_DC,
    logger: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
    ...cassandraSecurityOf(config),
  });
  const kafka = createKafkaClient({ clientId: `${config.KAFKA_CLIENT_ID}-${config.NODE_ID}`, brokers: config.KAFKA_BROKERS, logLevel: 'warn', ...kafkaSecurityOf(config) }, logger);
  // Idempotent, so a retried send never duplicates a command; callers bound the wait with deadlines.
  const producer = kafka.producer({
    idempotent: true, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5_000 },
  });
  // Status changes go out on a producer of their own: an idempotent producer keeps one request in
  // flight, and a PlaceOrder's command must not queue behind a burst of status events.
  const statusProducer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5_000 } });
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => logger.warn({ err }, 'error while stopping'));
  };
  try {
    await connectWithRetry(cassandra, { attempts: 5, backoff: { initialMs: 500, maxMs: 4_000 } });
    stops.push(() => cassandra.shutdown());
    await connectKafka(producer, config.KAFKA_BROKERS, config.KAFKA_CONNECT_TIMEOUT_MS);
    stops.push(() => producer.disconnect());
    await connectKafka(statusProducer, config.KAFKA_BROKERS, config.KAFKA_CONNECT_TIMEOUT_MS);
    stops.push(() => statusProducer.disconnect());
    const downstream = createDownstreamClients(config.DOWNSTREAM_ADDRESS, {
      deadlineMs: config.DOWNSTREAM_DEADLINE_MS, ...(config.DOWNSTREAM_ADMIN_SECRET ? { adminSecret: config.DOWNSTREAM_ADMIN_SECRET } : {}),
    });
    stops.push(async () => downstream.close());

    const metrics = new Registry();
    metrics.setDefaultLabels({ node: config.NODE_ID });
    collectDefaultMetrics({ register: metrics });
    const codec = createStatusCodec();

    const orders = await startNodeOrders({ config, cassandra, kafka, producer, statusProducer, downstream, metrics, logger });
    stops.push(() => orders.stop());
    const dashboard = createDashboard({ config, cassandra, metrics, downstream, ownedShards: orders.ownedShards, requestStop: opts.requestStop, logger });

    const checkoutProto = loadCheckoutProto();
    const grpc = await startGrpcServer({
      host: config.GRPC_HOST, port: config.GRPC_PORT, reflect: [checkoutProto.definition], register: () => undefined, ...(serverTls ? { tls: serverTls } : {}),
    });
    const health = watchDependencies({
      probes: [cassandraProbe(cassandra), kafkaProbe(kafka)], health: grpc.health, services: HEALTH_SERVICES,
      intervalMs: 2_000, timeoutMs: 1_500, logger,
    });
    const http = await startNodeHttp({
      host: config.GRPC_HOST, port: config.HTTP_PORT, portVariable: 'HTTP_PORT', routes: publicRoutes({ healthy: () => health.healthy }), ...(serverTls ? { tls: serverTls } : {}),
    });
    stops.push(() => http.close());
    const adminHttp = await startNodeHttp({
      host: config.ADMIN_HTTP_HOST, port: config.ADMIN_HTTP_PORT, portVariable: 'ADMIN_HTTP_PORT', routes: adminRoutes({ metrics, dashboard: dashboard.routes, logger }),
    });
    stops.push(() => adminHttp.close());
    const edge = startNodeEdge({
      config, cassandra, downstream, codec, logger, metrics, http: http.server, grpcServer: grpc.server, checkoutProto,
      feed: orders.statusStore, publishCommand: orders.publishCommand, announce: orders.announce, readOrder: orders.readOrder, storageCounters: orders.storageCounters,
      newOrderId: () => `o-${randomUUID()}`,
    });
    // Stopping runs in reverse: first no new calls, then the shards are handed over.
    stops.push(async () => { health.stop(); await edge.stop(); await grpc.stop(5_000); });
    await health.checkNow();
    const httpAddress = `${config.GRPC_HOST}:${http.port}`;
    const adminAddress = `${config.ADMIN_HTTP_HOST}:${adminHttp.port}`;
    dashboard.publisher.start({ adminAddress, grpcAddress: grpc.address });
    // Runs first on stop: the row goes at once, rather than when its TTL ends.
    stops.push(() => dashboard.publisher.stop());

    return {
      nodeId: config.NODE_ID,
      grpcAddress: grpc.address,
      httpAddress,
      adminAddress,
      ownedShards: orders.ownedShards,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
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
