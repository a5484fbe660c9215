import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { startLocalCluster, type ClusterNode, type LocalCluster } from '../../cluster/local/local-cluster.js';
import { startPartitionCluster, type PartitionCluster } from '../../cluster/local/partition/partition-cluster.js';
import { createMockTopic } from '../../cluster/local/kafka/mock-control.js';
import { createDownstreamClients, type DownstreamClients } from '../../src/clients/downstream-clients.js';
import { createTokenService, type Role } from '../../src/edge/auth.js';
import type { CheckoutServiceClient } from '../../src/generated/checkout/v1/CheckoutService.js';
import { checkoutClient } from '../../src/clients/checkout-client.js';
import { silentLogger } from '../../src/observability/logger.js';
import { connectTestClient, cassandraTestInfra } from './cassandra.js';
import { connectWithRetry, createCassandraClient } from '../../src/storage/cassandra-client.js';
import { kafkaTestInfra, uniqueName } from './kafka.js';
import type { Client } from 'cassandra-driver';

export interface ProcessCluster {
  cluster: LocalCluster;
  downstream: DownstreamClients;
  db: Client;
  keyspace: string;
  /** Set when started with `partitioned`: per-node link faults. */
  partition?: PartitionCluster;
  /** A CheckoutService client for a node, authenticated as `consumerId`. */
  client(node: ClusterNode, consumerId: string): Promise<CheckoutServiceClient>;
  /** A consumer token, unless another role is asked for (the dashboard's API needs operator or admin). */
  token(subject: string, role?: Role): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Real node processes (and a downstream process) over the run's shared Cassandra and broker, in a
 * fresh keyspace with fresh topics. Everything started is stopped by `stop()`, also after failures.
 */
export async function startProcessCluster(opts: {
  nodes: number; sandboxNodes?: number; partitions?: number; env?: Record<string, string>; downstreamLatency?: unknown[];
  /** Start a Cassandra of this cluster's own (to kill it), instead of the run's shared one. */
  ownCassandra?: boolean;
  /**
   * Every node in a network namespace of its own, over a Cassandra and a broker of this cluster's
   * own that listen on the namespaces' gateway (the run's shared ones listen on loopback, which
   * other namespaces cannot reach).
   */
  partitioned?: boolean;
}): Promise<ProcessCluster> {
  const keyspace = `pc_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const kafka = kafkaTestInfra();
  if (!kafka.controlAddress) throw new Error('process-cluster tests need the project\'s broker (topics are created through its control port)');
  const controlAddress = kafka.controlAddress;
  const env: Record<string, string> = {
    KAFKA_COMMANDS_TOPIC: uniqueName('commands'), KAFKA_EVENTS_TOPIC: uniqueName('events'), KAFKA_SANDBOX_COMMANDS_TOPIC: uniqueName('sandbox'), KAFKA_COMMANDS_DLQ_TOPIC: uniqueName('dlq'),
    KAFKA_COMMAND_PARTITIONS: String(opts.partitions ?? 12), KAFKA_CLIENT_ID: uniqueName('pc'),
    STEP_BACKOFF_BASE_MS: '20', STEP_BACKOFF_MAX_MS: '200', LOG_LEVEL: 'info',
    ...opts.env,
  };
  const downstreamLatency = opts.downstreamLatency ? JSON.stringify(opts.downstreamLatency) : undefined;
  const partition = opts.partitioned
    ? await startPartitionCluster({ nodes: opts.nodes, logger: silentLogger(), env, keyspace, downstreamLatency })
    : undefined;
  const cluster = partition?.cluster ?? await startLocalCluster({
    nodes: opts.nodes, sandboxNodes: opts.sandboxNodes, logger: silentLogger(), env, keyspace, downstreamLatency,
    cassandraContactPoints: opts.ownCassandra ? undefined : cassandraTestInfra().contactPoints, kafkaBrokers: kafka.brokers,
    provisionTopics: async (topics) => { for (const t of topics) await createMockTopic(controlAddress, t.name, t.partitions); },
  });
  const downstream = createDownstreamClients(cluster.downstreamAddress, { adminSecret: cluster.downstreamAdminSecret });
  const db = opts.ownCassandra || partition
    ? await connectClient(cluster.infra.cassandraContactPoints)
    : await connectTestClient();
  const tokens = createTokenService({ secret: cluster.config.AUTH_SECRET });
  const clients: grpc.Client[] = [];
  return {
    cluster, downstream, db, keyspace, partition,
    token: (subject, role = 'consumer') => tokens.mint(subject, { role }),
    async client(node, consumerId) {
      const c = checkoutClient(node.grpcAddress!, await tokens.mint(consumerId));
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      downstream.close();
      await (partition ?? cluster).stop();
      await db.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
      await db.shutdown();
    },
  };
}

async function connectClient(contactPoints: string[]): Promise<Client> {
  const client = createCassandraClient({ contactPoints, localDataCenter: 'datacenter1' });
  await connectWithRetry(client, { attempts: 3, backoff: { initialMs: 200, maxMs: 1_000 } });
  return client;
}
