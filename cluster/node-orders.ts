import type { Client } from 'cassandra-driver';
import type { Kafka, Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import { createOrderRuntime, orderEventCodec } from '../actors/order-runtime.js';
import { readOrderState } from '../actors/order/read-order.js';
import { grpcCheckoutSteps } from '../src/clients/grpc-checkout-steps.js';
import type { Config } from '../src/config/config.js';
import type { DownstreamClients } from '../src/downstream/downstream-clients.js';
import { orderView, type OrderView } from '../src/edge/order-view.js';
import { createCommandPublisher, type OrderCommandMessage } from '../src/messaging/order-commands.js';
import { createStatusPublisher } from '../src/messaging/order-status-events.js';
import type { Logger } from '../src/observability/logger.js';
import { createOrderMetrics } from '../src/observability/order-metrics.js';
import { createStatusViewStore, type StatusViewStore } from '../src/status/status-view-store.js';
import { createCassandraPersistenceEngine } from '../src/storage/cassandra-persistence-engine.js';
import { createCommandIntake } from './command-intake.js';
import { createStatusFanout } from './status-fanout.js';

export interface NodeOrders {
  statusStore: StatusViewStore;
  publishCommand(cmd: OrderCommandMessage): Promise<void>;
  announce(view: OrderView): void;
  readOrder(orderId: string): Promise<OrderView | undefined>;
  ownedShards(): number[];
  stop(): Promise<void>;
}

/**
 * The order side of a node: the actors of the shards it owns (fed by `order-commands`), the
 * status changes they publish to `order-events`, and this node's view of every order's status.
 */
export async function startNodeOrders(opts: {
  config: Config; cassandra: Client; kafka: Kafka; producer: Producer; downstream: DownstreamClients; metrics: Registry; logger: Logger;
}): Promise<NodeOrders> {
  const { config, logger } = opts;
  const orderMetrics = createOrderMetrics(opts.metrics);
  const commandsTopic = config.NODE_POOL === 'sandbox' ? config.KAFKA_SANDBOX_COMMANDS_TOPIC : config.KAFKA_COMMANDS_TOPIC;
  const statusPublisher = createStatusPublisher({ producer: opts.producer, topic: config.KAFKA_EVENTS_TOPIC, logger });
  const statusStore = createStatusViewStore();
  const runtime = createOrderRuntime({
    nodeId: config.NODE_ID, client: opts.cassandra, keyspace: config.CASSANDRA_KEYSPACE, shards: config.KAFKA_COMMAND_PARTITIONS,
    steps: grpcCheckoutSteps(opts.downstream, config.DOWNSTREAM_DEADLINE_MS),
    stepPolicy: { maxAttempts: config.STEP_MAX_ATTEMPTS, baseDelayMs: config.STEP_BACKOFF_BASE_MS, maxDelayMs: config.STEP_BACKOFF_MAX_MS },
    snapshotEvery: config.SNAPSHOT_EVERY, counters: orderMetrics.storage, logger,
    onAttemptFailed: (_id, report) => orderMetrics.onAttemptFailed(report.step, report.kind),
    onEvent: (orderId, event, state) => {
      orderMetrics.onEvent(orderId, event, state);
      const view = orderView(orderId, state);
      if (view) statusPublisher.publish(view);
    },
  });
  const commands = createCommandPublisher(opts.producer, config.KAFKA_COMMAND_PARTITIONS);
  const intake = createCommandIntake({
    kafka: opts.kafka, topic: commandsTopic, groupId: `checkout-${config.NODE_POOL}`, registry: runtime.registry,
    sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS, heartbeatInterval: config.KAFKA_HEARTBEAT_INTERVAL_MS, logger,
  });
  const fanout = createStatusFanout({ kafka: opts.kafka, topic: config.KAFKA_EVENTS_TOPIC, nodeId: config.NODE_ID, store: statusStore, logger });
  const readEngine = createCassandraPersistenceEngine({ client: opts.cassandra, keyspace: config.CASSANDRA_KEYSPACE, writerId: config.NODE_ID, codec: orderEventCodec, counters: orderMetrics.storage });
  await fanout.start();
  await intake.start();
  return {
    statusStore,
    publishCommand: (cmd) => commands.publish(commandsTopic, cmd),
    announce: (view) => { statusStore.update(view); statusPublisher.publish(view); },
    readOrder: async (orderId) => orderView(orderId, await readOrderState(readEngine, orderId)),
    ownedShards: intake.ownedShards,
    async stop() {
      await intake.stop();
      runtime.stop();
      await statusPublisher.flush();
      await fanout.stop();
    },
  };
}
