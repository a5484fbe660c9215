import type { Producer } from 'kafkajs';
import type { OrderView } from '../edge/order-view.js';
import type { Logger } from './logger.js';

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
 * failed send is retried with backoff, since a terminal status that never reaches the watchers
 * would leave their streams hanging. One send is in flight at a time and everything published
 * meanwhile goes out together in the next one (in publish order): idle, a change goes out at
 * once; under load, one Kafka request carries many changes instead of one request each.
 */
export function createStatusPublisher(opts: { producer: Pick<Producer, 'send'>; topic: string; logger: Logger; maxAttempts?: number; maxBatch?: number }): StatusPublisher {
  interface Pending { view: OrderView; resolve(): void; reject(err: unknown): void }
  const maxAttempts = opts.maxAttempts ?? 8;
  const maxBatch = opts.maxBatch ?? 500;
  let queue: Pending[] = [];
  let draining: Promise<void> | undefined;

  const sendBatch = async (batch: readonly Pending[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await opts.producer.send({ topic: opts.topic, acks: -1, messages: batch.map((p) => ({ key: p.view.orderId, value: JSON.stringify(p.view) })) });
        return;
      } catch (err) {
        if (attempt >= maxAttempts) {
          opts.logger.error({ orders: batch.length, firstOrderId: batch[0]?.view.orderId, err: String(err) }, 'could not publish order status changes');
          throw err;
        }
        await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** attempt)));
      }
    }
  };
  const drain = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        await sendBatch(batch);
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    draining = undefined;
  };
  return {
    publish(view) {
      const sent = new Promise<void>((resolve, reject) => queue.push({ view, resolve, reject }));
      sent.catch(() => undefined); // callers may ignore it
      draining ??= drain();
      return sent;
    },
    async flush() {
      while (draining) await draining;
    },
  };
}
