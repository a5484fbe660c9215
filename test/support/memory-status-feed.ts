import type { OrderView } from '../../src/domain/order-view.js';
import type { OrderStatusFeed } from '../../src/status/order-status-feed.js';

/** An OrderStatusFeed held in memory, for edge tests: `publish` plays the part of `order-events`. */
export interface MemoryStatusFeed extends OrderStatusFeed {
  /** Records a newer version and tells its listeners; an older or equal one is ignored, as the real feed does. */
  publish(view: OrderView): void;
  /** Calls the listeners with `view` whatever its version: a misbehaving feed, to test its consumers. */
  emitUnchecked(view: OrderView): void;
  /** Listeners still registered, for one order or all. */
  listenerCount(orderId?: string): number;
}

export function createMemoryStatusFeed(): MemoryStatusFeed {
  const views = new Map<string, OrderView>();
  const listeners = new Map<string, Set<(view: OrderView) => void>>();
  const emit = (view: OrderView) => {
    for (const listener of [...(listeners.get(view.orderId) ?? [])]) listener(view);
  };
  return {
    current: (orderId) => views.get(orderId),
    subscribe(orderId, listener) {
      const set = listeners.get(orderId) ?? new Set();
      listeners.set(orderId, set);
      // A wrapper per call, so subscribing one function twice still yields two subscriptions.
      const entry = (view: OrderView) => listener(view);
      set.add(entry);
      return () => {
        set.delete(entry);
        if (set.size === 0 && listeners.get(orderId) === set) listeners.delete(orderId);
      };
    },
    publish(view) {
      const known = views.get(view.orderId);
      if (known && Number(known.version) >= Number(view.version)) return;
      views.set(view.orderId, view);
      emit(view);
    },
    emitUnchecked: emit,
    listenerCount: (orderId) =>
      orderId === undefined
        ? [...listeners.values()].reduce((n, set) => n + set.size, 0)
        : listeners.get(orderId)?.size ?? 0,
  };
}
