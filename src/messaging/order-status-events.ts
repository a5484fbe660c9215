import type { Producer } from 'kafkajs';
import type { OrderView } from '../domain/order-view.js';
import type { Logger } from '../observability/logger.js';
import { createCoalescingSender } from './coalescing-sender.js';

/** Publishes every status change to `order-events` (keyed by order id, so per-order order holds). */
export interface StatusPublisher {
  /** Resolves once Kafka acknowledged the change; rejects if it gave up (ignoring the promise is safe). */
  publish(view: OrderView): Promise<void>;
  /** Waits for what is in flight (graceful shutdown). */
  flush(): Promise<void>;
}

export function decodeOrderView(value: Buffer | null): OrderView | undefined {
  if (!value) return undefined;
  try {
    const view = JSON.parse(value.toString('utf8')) as Partial<OrderView>;
    return typeof view.orderId === 'string' && typeof view.version === 'number' && typeof view.status === 'string' ? (view as OrderView) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fire-and-forget for the caller (an order must not wait on its watchers), but not lossy: a
 * failed request is retried with backoff, since a terminal status that never reaches the
 * watchers would leave their streams hanging. Changes published while a request is in flight go
 * out together in the next one (see coalescing-sender.ts).
 */
export function createStatusPublisher(opts: { producer: Pick<Producer, 'sendBatch'>; topic: string; logger: Logger; maxAttempts?: number; maxBatch?: number }): StatusPublisher {
  const sender = createCoalescingSender({
    producer: opts.producer, logger: opts.logger, maxBatch: opts.maxBatch, maxAttempts: opts.maxAttempts ?? 8, what: 'order status changes',
  });
  return {
    publish: (view) => sender.send(opts.topic, { key: view.orderId, value: JSON.stringify(view) }),
    flush: () => sender.flush(),
  };
}
