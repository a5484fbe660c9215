import type { EachMessagePayload, Kafka, TopicPartitions } from 'kafkajs';
import type { OrderRegistry } from '../actors/order-registry.js';
import type { Logger } from '../src/observability/logger.js';
import type { BackoffPolicy } from '../src/resilience/retry.js';
import { recoverShardUntilDone } from './shard-recovery.js';
import type { HopMetrics } from '../src/observability/hop-metrics.js';
import { commandOrderId, decodeOrderCommand } from '../src/messaging/order-commands.js';
import type { DeadLetterSink } from '../src/messaging/dead-letters.js';
import { createResilientConsumer, type ResilientConsumer } from '../src/messaging/resilient-consumer.js';

export interface CommandIntakeOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  registry: OrderRegistry;
  sessionTimeout: number;
  heartbeatInterval: number;
  maxWaitTimeInMs?: number;
  logger: Logger;
  /** Where commands that cannot be read go, so their shard moves on. */
  deadLetters: DeadLetterSink;
  onDeadLettered?(reason: string): void;
  /** How a failed listing of a newly owned shard's orders is retried. */
  recoveryBackoff?: BackoffPolicy;
  hops?: HopMetrics;
  onShardsChanged?(owned: number[]): void;
  /** Every group join of this member (each one is a rebalance it took part in). */
  onRebalance?(): void;
}

export interface CommandIntake {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Leaves the group (its shards go to other members) but can rejoin; stops their actors here. */
  leave(): Promise<void>;
  /** Joins the group again after `leave`. */
  rejoin(): Promise<void>;
  ownedShards(): number[];
  /**
   * Whether the group confirmed this member's assignment after `at` (a heartbeat it accepted, or
   * a join): a node cut from Kafka, or paused, cannot tell whether its shards moved meanwhile.
   */
  ownershipConfirmedSince(at: number): boolean;
}

/**
 * Shards are the partitions of `order-commands`, ownership is the consumer group's assignment.
 * A node hands each command to its order's actor and lets the offset be committed only once the
 * actor has persisted it; when the group gives it a shard it wakes the shard's unfinished
 * orders, and when the shard leaves it stops their actors (the journal fences any straggler).
 */
export function createCommandIntake(opts: CommandIntakeOptions): CommandIntake {
  const log = opts.logger;
  let owned = new Set<number>();
  /** Commands being handed to actors right now; stop() lets them finish before the actors stop. */
  const inFlight = new Set<Promise<void>>();
  let confirmedAt = 0;

  const onAssigned = (assignment: TopicPartitions[]) => {
    const next = new Set(assignment.filter((a) => a.topic === opts.topic).flatMap((a) => a.partitions));
    const gained = [...next].filter((s) => !owned.has(s));
    const lost = [...owned].filter((s) => !next.has(s));
    owned = next;
    for (const shard of lost) opts.registry.releaseShard(shard);
    for (const shard of gained) {
      void recoverShardUntilDone(shard, {
        recover: (s) => opts.registry.recoverShard(s), stillOwned: (s) => owned.has(s), backoff: opts.recoveryBackoff, logger: log,
      });
    }
    if (gained.length || lost.length) {
      log.info({ owned: [...owned].sort((a, b) => a - b), gained, lost }, 'shard ownership changed');
      opts.onShardsChanged?.([...owned]);
    }
  };

  const createConsumer = (): ResilientConsumer => createResilientConsumer(
    { kafka: opts.kafka, logger: log },
    // fromBeginning: a partition the group never committed (a pool's first node, e.g. the sandbox
    // started after rules sent it orders) is read from its start, never skipped to its end.
    { groupId: opts.groupId, topics: [opts.topic], sessionTimeout: opts.sessionTimeout, heartbeatInterval: opts.heartbeatInterval, maxWaitTimeInMs: opts.maxWaitTimeInMs ?? 100, fromBeginning: true },
    {
      partitionsConsumedConcurrently: 12,
      eachMessage: (payload) => {
        const handled = handle(payload);
        inFlight.add(handled);
        void handled.finally(() => inFlight.delete(handled)).catch(() => undefined);
        return handled;
      },
    },
    { onAssigned, onGroupJoin: () => { confirmedAt = Date.now(); opts.onRebalance?.(); }, onHeartbeat: () => { confirmedAt = Date.now(); } },
  );
  // A stopped consumer cannot start again: rejoining takes a new one.
  let consumer = createConsumer();
  let member: 'in' | 'out' = 'in';
  const leave = async () => {
    if (member === 'out') return;
    member = 'out';
    // The actors stop before the node leaves the group: until it leaves, no other node is
    // given these shards, so an order never runs on two nodes at once during a hand-over.
    consumer.pause();
    await Promise.allSettled([...inFlight]);
    for (const shard of owned) opts.registry.releaseShard(shard);
    if (owned.size) opts.onShardsChanged?.([]);
    owned = new Set();
    await consumer.stop();
  };

  async function handle({ partition, message }: EachMessagePayload): Promise<void> {
    opts.hops?.observe('intake', message.timestamp);
    const decoded = decodeOrderCommand(message.value);
    if (!decoded.ok) {
      // Awaited: the offset moves past a poison command only once the dead-letter topic has it.
      await opts.deadLetters.send({
        sourceTopic: opts.topic, partition, offset: message.offset, key: message.key, value: message.value, reason: decoded.reason, detail: decoded.detail,
      });
      opts.onDeadLettered?.(decoded.reason);
      log.warn({ partition, offset: message.offset, reason: decoded.reason, detail: decoded.detail }, 'moved an unreadable command to the dead-letter topic');
      return;
    }
    const { cmd } = decoded;
    // Awaited: the offset is committed only after the actor has persisted the command.
    if (cmd.type === 'place') await opts.registry.place(cmd.order);
    else {
      const reply = await opts.registry.cancel(cmd.orderId, cmd.reason);
      log.info({ orderId: cmd.orderId, partition, offset: message.offset, status: reply.state.status }, 'cancel command handled');
    }
    log.debug({ orderId: commandOrderId(cmd), type: cmd.type, partition }, 'command handled');
  }

  return {
    start: () => consumer.start(),
    stop: leave,
    leave,
    async rejoin() {
      if (member === 'in') return;
      member = 'in';
      consumer = createConsumer();
      await consumer.start();
    },
    ownedShards: () => [...owned].sort((a, b) => a - b),
    ownershipConfirmedSince: (at) => member === 'in' && confirmedAt > at,
  };
}
