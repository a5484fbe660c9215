import type { CoalescingSender } from '../../src/messaging/coalescing-sender.js';
import { commandOrderId, createCommandPublisher, type OrderCommandMessage } from '../../src/messaging/order-commands.js';
import { poolOfOrder } from './order-pool.js';
import type { Pool } from './sandbox-rules.js';

/** A pool's commands topic and its partition count (= the pool's shard count). */
export interface PoolTopic { topic: string; partitions: number }

export interface CommandRouter {
  /** Publishes to the commands topic of the order's pool, on the order's shard in that topic. */
  publish(cmd: OrderCommandMessage): Promise<void>;
}

/**
 * Every command of an order goes to its pool's topic (the pool is in the order id), on the
 * partition `shardOf(orderId, that topic's partitions)`: the same count the pool's nodes use for
 * their shards, so the node that consumes the partition is the one that owns the order.
 */
export function createCommandRouter(sender: CoalescingSender, topics: Record<Pool, PoolTopic>): CommandRouter {
  const publishers = {
    main: createCommandPublisher(sender, topics.main.partitions),
    sandbox: createCommandPublisher(sender, topics.sandbox.partitions),
  };
  return {
    publish(cmd) {
      const pool = poolOfOrder(commandOrderId(cmd));
      return publishers[pool].publish(topics[pool].topic, cmd);
    },
  };
}

/** Each pool's commands topic, with its partition count taken from the topic plan that created it. */
export function poolTopics(planned: ReadonlyArray<{ name: string; partitions: number }>, names: Record<Pool, string>): Record<Pool, PoolTopic> {
  if (names.main === names.sandbox) throw new Error(`the main and sandbox pools need different commands topics (both are ${names.main})`);
  const find = (pool: Pool): PoolTopic => {
    const plan = planned.find((t) => t.name === names[pool]);
    if (!plan) throw new Error(`no topic plan for the ${pool} commands topic ${names[pool]}`);
    return { topic: plan.name, partitions: plan.partitions };
  };
  return { main: find('main'), sandbox: find('sandbox') };
}
