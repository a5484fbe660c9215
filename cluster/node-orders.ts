import type { Client } from 'cassandra-driver';
import type { Kafka, Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import { createOrderRuntime, orderEventCodec } from '../actors/order-runtime.js';
import { readOrderState } from '../actors/order/read-order.js';
import type { OrderState } from '../actors/order/order-state.js';
import { grpcCheckoutSteps } from '../src/clients/grpc-checkout-steps.js';
import type { StorageCounters } from '../src/storage/storage-counters.js';
import { fallbackSettingsOf, type Config } from '../src/config/config.js';
import type { DownstreamClients } from '../src/clients/downstream-clients.js';
import { orderView } from '../actors/order/order-view.js';
import type { OrderView } from '../src/domain/order-view.js';
import type { OrderCommandMessage } from '../src/messaging/order-commands.js';
import { createStatusPublisher } from '../src/messaging/order-status-events.js';
import type { Logger } from '../src/observability/logger.js';
import { TransientError } from '../src/domain/errors.js';
import { createOrderMetrics } from '../actors/order-metrics.js';
import { createShardMetrics } from '../src/observability/shard-metrics.js';
import { createHopMetrics } from '../src/observability/hop-metrics.js';
import { pollConsumerLag } from '../src/observability/kafka-lag.js';
import { createStatusViewStore, type StatusViewStore } from '../src/status/status-view-store.js';
import { createCassandraPersistenceEngine } from '../src/storage/cassandra-persistence-engine.js';
import { createGroupCommitEngine } from '../src/storage/group-commit-engine.js';
import { shardOf } from '../src/domain/shard-of.js';
import { poolOfOrder } from './routing/order-pool.js';
import { createActiveOrderIndex } from '../src/storage/active-orders.js';
import { createCommandRouter, poolTopics } from './routing/command-router.js';
import { createDeadLetterSink } from '../src/messaging/dead-letters.js';
import { createCoalescingSender } from '../src/messaging/coalescing-sender.js';
import { poolShardIndex } from './routing/pool-index.js';
import { plannedTopics } from '../src/messaging/topic-plan.js';
import { createCommandIntake, type CommandIntake } from './command-intake.js';
import { createStatusFanout } from './status-fanout.js';
import { createFencedJournalEngine } from '../src/storage/fenced-journal-engine.js';
import { startStorageWatchdog, type StorageWatchdog } from './storage-watchdog.js';

export interface NodeOrders {
  statusStore: StatusViewStore;
  publishCommand(cmd: OrderCommandMessage): Promise<void>;
  announce(view: OrderView): void;
  readOrder(orderId: string): Promise<OrderView | undefined>;
  ownedShards(): number[];
  /** Counts every Cassandra operation into the node's metrics (the edge's idempotency keys too). */
  storageCounters: StorageCounters;
  stop(): Promise<void>;
}

/**
 * The order side of a node: the actors of the shards it owns (fed by `order-commands`), the
 * status changes they publish to `order-events`, and this node's view of every order's status.
 */
export async function startNodeOrders(opts: {
  config: Config; cassandra: Client; kafka: Kafka; producer: Producer; downstream: DownstreamClients; metrics: Registry; logger: Logger;
  /** For status events; defaults to `producer`. */
  statusProducer?: Producer;
}): Promise<NodeOrders> {
  const { config, logger } = opts;
  const orderMetrics = createOrderMetrics(opts.metrics);
  // A node serves its pool's topic, with that topic's partition count as its shard count.
  const topics = poolTopics(plannedTopics(config), { main: config.KAFKA_COMMANDS_TOPIC, sandbox: config.KAFKA_SANDBOX_COMMANDS_TOPIC });
  const own = topics[config.NODE_POOL];
  const shardMetrics = createShardMetrics(opts.metrics, own.partitions);
  const hops = createHopMetrics(opts.metrics);
  const statusPublisher = createStatusPublisher({ producer: opts.statusProducer ?? opts.producer, topic: config.KAFKA_EVENTS_TOPIC, logger, maxBatch: config.KAFKA_SEND_MAX_BATCH });
  const statusStore = createStatusViewStore();
  /** Publishes an order's current view; resolves once Kafka has it (the registry waits on that). */
  const announceState = (orderId: string, state: OrderState) => {
    const view = orderView(orderId, state);
    return view ? statusPublisher.publish(view) : undefined;
  };
  // The runtime's revivals ask the intake (made below, from the runtime's registry) about ownership.
  let intakeRef: CommandIntake | undefined;
  const runtime = createOrderRuntime({
    nodeId: config.NODE_ID, client: opts.cassandra, keyspace: config.CASSANDRA_KEYSPACE, shards: own.partitions,
    journalMode: config.JOURNAL_MODE, logIdOf: (shard) => `${config.NODE_POOL}/${shard}`, flushesInFlight: config.JOURNAL_FLUSHES_IN_FLIGHT,
    index: poolShardIndex(createActiveOrderIndex({ client: opts.cassandra, keyspace: config.CASSANDRA_KEYSPACE, counters: orderMetrics.storage, logger }), config.NODE_POOL),
    steps: grpcCheckoutSteps(opts.downstream, config.DOWNSTREAM_DEADLINE_MS),
    retryOverride: { maxAttempts: config.STEP_MAX_ATTEMPTS, initialMs: config.STEP_BACKOFF_BASE_MS, maxMs: config.STEP_BACKOFF_MAX_MS },
    fallbacks: fallbackSettingsOf(config),
    snapshotEvery: config.SNAPSHOT_EVERY, counters: orderMetrics.storage, logger,
    lingerMs: config.ORDER_LINGER_MS, keepFinishedRunners: config.STEP_RUNNERS_KEPT,
    // Past the session timeout and two heartbeats, and only once the group confirmed the node's
    // assignment after the fence: a node whose shards moved hears so first.
    reviveFenced: {
      afterMs: config.KAFKA_SESSION_TIMEOUT_MS + 2 * config.KAFKA_HEARTBEAT_INTERVAL_MS,
      ownershipConfirmedSince: (at) => intakeRef?.ownershipConfirmedSince(at) ?? false,
    },
    onAttemptFailed: (_id, report) => orderMetrics.onAttemptFailed(report.step, report.kind),
    onStepFinished: (_id, report) => orderMetrics.onStepFinished(report),
    onResumed: (orderId, state) => orderMetrics.live.onStatus(orderId, state.status),
    onStopped: (orderId) => orderMetrics.live.onStopped(orderId),
    onEvent: (orderId, event, state) => {
      orderMetrics.onEvent(orderId, event, state);
      return announceState(orderId, state);
    },
    // The previous owner may have died between persisting a change and announcing it.
    onRecovered: announceState,
  });
  // Commands go to the pool of their order (any node may place or cancel an order of either pool).
  // No retries of its own: the producer retries, and the edge answers UNAVAILABLE past its deadline.
  const commandSender = createCoalescingSender({ producer: opts.producer, logger, maxAttempts: 1, maxBatch: config.KAFKA_SEND_MAX_BATCH, what: 'order commands' });
  const commands = createCommandRouter(commandSender, topics);
  const groupId = `checkout-${config.NODE_POOL}`;
  const intake = createCommandIntake({
    kafka: opts.kafka, topic: own.topic, groupId, registry: runtime.registry,
    sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS, heartbeatInterval: config.KAFKA_HEARTBEAT_INTERVAL_MS, maxWaitTimeInMs: config.KAFKA_FETCH_MAX_WAIT_MS, logger, hops,
    deadLetters: createDeadLetterSink(opts.producer, config.KAFKA_COMMANDS_DLQ_TOPIC),
    onDeadLettered: (reason) => shardMetrics.onDeadLettered(reason),
    onShardsChanged: (owned) => shardMetrics.onShardsChanged(owned),
    onRebalance: () => shardMetrics.onRebalance(),
  });
  intakeRef = intake;
  const fanout = createStatusFanout({ kafka: opts.kafka, topic: config.KAFKA_EVENTS_TOPIC, nodeId: config.NODE_ID, store: statusStore, logger, maxWaitTimeInMs: config.KAFKA_FETCH_MAX_WAIT_MS, hops,
    commitEveryBatch: config.KAFKA_STATUS_COMMIT_EVERY_BATCH,
  });
  const readEngineOpts = { client: opts.cassandra, keyspace: config.CASSANDRA_KEYSPACE, writerId: config.NODE_ID, codec: orderEventCodec, counters: orderMetrics.storage };
  // Orders of either pool can be read here: each one's log is its pool's and its shard in that pool.
  const logOf = (orderId: string) => {
    const pool = poolOfOrder(orderId);
    return `${pool}/${shardOf(orderId, topics[pool].partitions)}`;
  };
  const readEngine = config.JOURNAL_MODE === 'group' ? createGroupCommitEngine({ ...readEngineOpts, logOf })
    // Reads only: a node looking at an order it does not run must never fence its owner.
    : config.JOURNAL_MODE === 'fenced' ? createFencedJournalEngine({ ...readEngineOpts, fence: false })
    : createCassandraPersistenceEngine(readEngineOpts);
  await fanout.start();
  await intake.start();
  const watchdog: StorageWatchdog | undefined = config.STORAGE_WATCHDOG === 'on'
    ? startStorageWatchdog({
      cassandra: opts.cassandra, keyspace: config.CASSANDRA_KEYSPACE, nodeId: config.NODE_ID, metrics: opts.metrics, logger,
      intervalMs: config.STORAGE_WATCHDOG_INTERVAL_MS, timeoutMs: config.STORAGE_WATCHDOG_TIMEOUT_MS,
      failures: config.STORAGE_WATCHDOG_FAILURES, recoveries: config.STORAGE_WATCHDOG_RECOVERIES,
      onUnhealthy: () => intake.leave(), onHealthy: () => intake.rejoin(),
    })
    : undefined;
  const lag = pollConsumerLag({
    kafka: opts.kafka, groupId, topic: own.topic, owned: intake.ownedShards, logger,
    report: (byPartition) => shardMetrics.setLag(own.topic, byPartition),
  });
  return {
    statusStore,
    storageCounters: orderMetrics.storage,
    publishCommand: (cmd) => commands.publish(cmd),
    announce: (view) => { statusStore.update(view); statusPublisher.publish(view); },
    readOrder: async (orderId) => {
      try {
        return orderView(orderId, await readOrderState(readEngine, orderId));
      } catch (err) {
        throw new TransientError(`could not read order ${orderId}: ${(err as Error).message}`, err);
      }
    },
    ownedShards: intake.ownedShards,
    async stop() {
      await watchdog?.stop();
      await lag.stop();
      await intake.stop();
      runtime.stop();
      await statusPublisher.flush();
      await fanout.stop();
    },
  };
}
