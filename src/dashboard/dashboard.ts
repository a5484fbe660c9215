import type { Client } from 'cassandra-driver';
import type { Registry } from 'prom-client';
import { plannedTopics } from '../messaging/topic-plan.js';
import type { Config } from '../config/config.js';
import type { DownstreamClients } from '../clients/downstream-clients.js';
import { tokenServiceOf } from '../edge/config-tokens.js';
import type { Logger } from '../observability/logger.js';
import { createAdminActions } from './admin-actions.js';
import { createDashboardRoutes, type HttpRoutes } from './dashboard-api.js';
import { createNodeStatusPublisher, type NodeStatusPublisher } from './node-status-publisher.js';
import { createNodeStatusTable } from './node-status-table.js';
import { journalRows } from '../storage/journal-reader.js';
import { timelineOf } from './order-timeline.js';

export interface Dashboard {
  /** For the node's HTTP server: the page and `/api/…`. */
  routes: HttpRoutes;
  /** Writes this node's row in `node_status`; start it once the node's addresses are known. */
  publisher: NodeStatusPublisher;
}

/** The dashboard of one node, from what the node already has. */
export function createDashboard(opts: {
  config: Config; cassandra: Client; metrics: Registry; downstream: DownstreamClients; ownedShards(): number[];
  /** How this node is stopped gracefully (node-main: SIGTERM to itself); absent, the stop control answers 501. */
  requestStop?: () => void;
  logger: Logger;
}): Dashboard {
  const { config } = opts;
  const keyspace = config.CASSANDRA_KEYSPACE;
  const table = createNodeStatusTable(opts.cassandra, keyspace);
  const commandsTopic = config.NODE_POOL === 'sandbox' ? config.KAFKA_SANDBOX_COMMANDS_TOPIC : config.KAFKA_COMMANDS_TOPIC;
  const shardCount = plannedTopics(config).find((t) => t.name === commandsTopic)?.partitions ?? 0;
  const logger = opts.logger.child({ component: 'dashboard' });
  return {
    routes: createDashboardRoutes({
      nodeId: config.NODE_ID, table,
      timeline: async (orderId) => timelineOf(orderId, await journalRows(opts.cassandra, keyspace, orderId)),
      tokens: tokenServiceOf(config),
      admin: createAdminActions({ nodeId: config.NODE_ID, downstream: opts.downstream, ...(opts.requestStop ? { requestStop: opts.requestStop } : {}), logger }),
      logger,
    }),
    publisher: createNodeStatusPublisher({
      nodeId: config.NODE_ID, pool: config.NODE_POOL, shardCount, ownedShards: opts.ownedShards, metrics: opts.metrics, table, logger,
    }),
  };
}
