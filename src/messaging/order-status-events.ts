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
 * would leave their streams hanging.
 */
export function createStatusPublisher(opts: { producer: Producer; topic: string; logger: Logger; maxAttempts?: number }): StatusPublisher {
  const inFlight = new Set<Promise<void>>();
  const maxAttempts = opts.maxAttempts ?? 8;
  const send = async (view: OrderView) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await opts.producer.send({ topic: opts.topic, acks: -1, messages: [{ key: view.orderId, value: JSON.stringify(view) }] });
        return;
      } catch (err) {
        if (attempt >= maxAttempts) {
          opts.logger.error({ orderId: view.orderId, version: view.version, err: String(err) }, 'could not publish an order status change');
          throw err;
        }
        await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** attempt)));
      }
    }
  };
  return {
    publish(view) {
      const sent = send(view);
      const p = sent.catch(() => undefined).finally(() => inFlight.delete(p));
      inFlight.add(p);
      return sent;
    },
    flush: async () => { await Promise.all([...inFlight]); },
  };
}
