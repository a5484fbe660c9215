import { Gauge, type Registry } from 'prom-client';
import type { OrderStatus } from '../domain/order.js';

type ActorStatus = OrderStatus | 'NEW';

/** The node's live order actors by status (terminal ones linger until passivated). */
export interface LiveOrderMetrics {
  onStatus(orderId: string, status: ActorStatus): void;
  onStopped(orderId: string): void;
}

export function createLiveOrderMetrics(registry: Registry): LiveOrderMetrics {
  const statusOf = new Map<string, ActorStatus>();
  new Gauge({
    name: 'checkout_live_orders', help: 'Order actors in memory on this node, by status', labelNames: ['status'], registers: [registry],
    // Counted at scrape time from the map, so the gauge can never drift from the actors.
    collect() {
      const counts = new Map<string, number>();
      for (const status of statusOf.values()) counts.set(status, (counts.get(status) ?? 0) + 1);
      this.reset();
      for (const [status, n] of counts) this.set({ status }, n);
    },
  });
  return {
    onStatus: (orderId, status) => { statusOf.set(orderId, status); },
    onStopped: (orderId) => { statusOf.delete(orderId); },
  };
}
