import { z } from 'zod';
import type { PricedOrder } from '../domain/order.js';
import { FALLBACK_DEPENDENCIES } from '../domain/fallbacks.js';
import { shardOf } from '../domain/shard-of.js';
import type { CoalescingSender } from './coalescing-sender.js';

/** What travels on `order-commands`, keyed by order id so every command of an order reaches its owner. */
export type OrderCommandMessage =
  | { v: 1; type: 'place'; order: PricedOrder }
  | { v: 1; type: 'cancel'; orderId: string; reason: string };

export const commandOrderId = (cmd: OrderCommandMessage): string => (cmd.type === 'place' ? cmd.order.orderId : cmd.orderId);

const text = z.string().max(10_000);
const minor = z.number().int().safe();
const point = { lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) };

/** A fallback pricing took, carried with the order so the actor journals it in OrderPlaced. */
const fallbackSchema = z.object({
  dependency: z.enum(FALLBACK_DEPENDENCIES),
  rule: z.enum(['PRICE_WITHOUT_DISCOUNT', 'ZONE_DEFAULT_DELIVERY', 'ALLOW_SMALL_ORDER_UNCHECKED', 'PHONE_CHANNEL']),
  detail: text,
  step: z.enum(['fraud', 'authorize', 'delivery', 'merchant', 'capture']).optional(),
  at: z.number().int().positive(),
});

/** A command as the edge writes it; anything else on the topic is poison (see dead-letters.ts). */
const pricedOrderSchema = z.object({
  orderId: z.string().min(1).max(100),
  consumerId: text.min(1), merchantId: text.min(1), paymentMethodId: text.min(1), currency: z.string().length(3),
  lines: z.array(z.object({ itemId: text.min(1), name: text, quantity: z.number().int().positive(), unitPriceMinor: minor, note: text })).min(1).max(1_000),
  subtotalMinor: minor, deliveryFeeMinor: minor, tipMinor: minor, totalMinor: minor,
  address: z.object({ line1: text, city: text, postalCode: text, country: text, ...point }),
  pickup: z.object(point),
  placedAt: z.number().int().positive(),
  // Pricing's promotion and fallbacks (src/domain/fallbacks.ts); absent on orders priced without them.
  discountMinor: minor.min(0).optional(),
  promotionId: text.optional(),
  etaMinutes: z.number().int().min(0).optional(),
  estimated: z.array(z.enum(['delivery_fee', 'eta'])).max(2).optional(),
  fallbacks: z.array(fallbackSchema).max(10).optional(),
});

const orderCommandSchema = z.discriminatedUnion('type', [
  z.object({ v: z.literal(1), type: z.literal('place'), order: pricedOrderSchema }),
  z.object({ v: z.literal(1), type: z.literal('cancel'), orderId: z.string().min(1).max(100), reason: z.string().max(1_000) }),
]);

/** Why a command could not be read; bounded, so it can label a metric. */
export type UndecodableReason = 'empty' | 'not_json' | 'invalid_command';

export type DecodedCommand =
  | { ok: true; cmd: OrderCommandMessage }
  | { ok: false; reason: UndecodableReason; detail: string };

/** Reads a command off `order-commands`, checking all of it up front, so a bad one is named here and never reaches an actor. */
export function decodeOrderCommand(value: Buffer | null): DecodedCommand {
  if (!value || value.length === 0) return { ok: false, reason: 'empty', detail: 'the message has no value' };
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'not_json', detail: (err as Error).message.slice(0, 200) };
  }
  const parsed = orderCommandSchema.safeParse(json);
  if (parsed.success) return { ok: true, cmd: parsed.data };
  const detail = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(command)'}: ${i.message}`).join('; ');
  return { ok: false, reason: 'invalid_command', detail: detail.slice(0, 500) };
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
