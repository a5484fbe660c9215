import type { PricedOrder } from '../domain/order.js';
import { shardOf } from '../domain/shard-of.js';
import type { CoalescingSender } from './coalescing-sender.js';

/** What travels on `order-commands`, keyed by order id so every command of an order reaches its owner. */
export type OrderCommandMessage =
  | { v: 1; type: 'place'; order: PricedOrder }
  | { v: 1; type: 'cancel'; orderId: string; reason: string };

export const commandOrderId = (cmd: OrderCommandMessage): string => (cmd.type === 'place' ? cmd.order.orderId : cmd.orderId);

export function decodeOrderCommand(value: Buffer | null): OrderCommandMessage | undefined {
  if (!value) return undefined;
  try {
    const cmd = JSON.parse(value.toString('utf8')) as Partial<OrderCommandMessage>;
    if (cmd.v !== 1) return undefined;
    if (cmd.type === 'place' && typeof cmd.order?.orderId === 'string') return cmd as OrderCommandMessage;
    if (cmd.type === 'cancel' && typeof cmd.orderId === 'string') return cmd as OrderCommandMessage;
    return undefined;
  } catch {
    return undefined;
  }
}

export interface CommandPublisher {
  /** Resolves once every in-sync replica has the command (acks = -1). */
  publish(topic: string, cmd: OrderCommandMessage): Promise<void>;
}

/**
 * Publishes commands to the shard (partition) of their order. The partition is set explicitly
 * from the same function the node uses to find an order's shard, so the two can never disagree.
 * Commands submitted while a request is in flight share the next one (coalescing-sender.ts).
 */
export function createCommandPublisher(sender: CoalescingSender, shards: number): CommandPublisher {
  return {
    publish(topic, cmd) {
      const orderId = commandOrderId(cmd);
      return sender.send(topic, { key: orderId, partition: shardOf(orderId, shards), value: JSON.stringify(cmd) });
    },
  };
}
