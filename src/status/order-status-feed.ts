import type { OrderView } from '../domain/order-view.js';

/**
 * What this node knows of orders' statuses, fed by the `order-events` topic (every node sees
 * every order's changes, whichever node runs it). Listeners get each newer version once, in order.
 */
export interface OrderStatusFeed {
  /** The newest view this node has seen, if any. */
  current(orderId: string): OrderView | undefined;
  /** Calls `listener` with every later version of the order; returns the unsubscribe. */
  subscribe(orderId: string, listener: (view: OrderView) => void): () => void;
}
