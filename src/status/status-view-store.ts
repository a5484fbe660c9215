import type { OrderView } from '../domain/order-view.js';
import type { OrderStatusFeed } from './order-status-feed.js';

export interface StatusViewStore extends OrderStatusFeed {
  /** Takes a view if it is newer than the one held; returns whether it was. */
  update(view: OrderView): boolean;
  size(): number;
}

/**
 * The node's in-memory view of orders' statuses, bounded (least recently changed dropped first:
 * GetOrder falls back to Cassandra for those). Listeners see each newer version exactly once.
 */
export function createStatusViewStore(opts: { maxOrders?: number } = {}): StatusViewStore {
  const maxOrders = opts.maxOrders ?? 100_000;
  const views = new Map<string, OrderView>();
  const listeners = new Map<string, Set<(view: OrderView) => void>>();
  return {
    current: (orderId) => views.get(orderId),
    subscribe(orderId, listener) {
      let set = listeners.get(orderId);
      if (!set) listeners.set(orderId, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(orderId) === set) listeners.delete(orderId);
      };
    },
    update(view) {
      const held = views.get(view.orderId);
      if (held && held.version >= view.version) return false;
      views.delete(view.orderId);
      views.set(view.orderId, view);
      if (views.size > maxOrders) {
        const oldest = views.keys().next().value;
        if (oldest !== undefined) views.delete(oldest);
      }
      for (const listener of [...(listeners.get(view.orderId) ?? [])]) listener(view);
      return true;
    },
    size: () => views.size,
  };
}
