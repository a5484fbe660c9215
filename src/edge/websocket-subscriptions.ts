import { isTerminal } from '../domain/order.js';
import type { OrderStatusFeed } from '../status/order-status-feed.js';
import type { OrderView } from '../domain/order-view.js';
import type { ServerFrame } from './websocket-frames.js';

interface Subscription {
  /** The newest version sent, so nothing goes out twice or backwards whatever the feed does. */
  lastVersion: number;
  /** `subscribed` was sent: the order exists and this principal may see it. */
  confirmed: boolean;
  stopListening: () => void;
  pendingTimer?: NodeJS.Timeout;
}

export interface Subscriptions {
  subscribe(orderId: string): void;
  /** Stops one subscription (nothing if there is none). */
  release(orderId: string): void;
  releaseAll(): void;
}

const versionOf = (view: OrderView): number =>
  typeof view.version === 'object' ? view.version.toNumber() : Number(view.version);

/**
 * One connection's subscriptions to the status feed.
 *
 * A subscribe answers `subscribed` + the order only once the feed has a view the principal may
 * see. Until then it is pending: an order just placed may not have reached this node's feed yet.
 * If no visible view arrives within `pendingMs`, the answer is NOT_FOUND. Another consumer's
 * order takes exactly that path too (same wait, same frame), so a client cannot tell "exists but
 * not yours" from "does not exist".
 */
export function createSubscriptions(opts: {
  feed: OrderStatusFeed;
  maxSubscriptions: number;
  pendingMs: number;
  send(frame: ServerFrame): void;
  /** Runs a callback from the feed or a timer so that a throw cannot escape into the process. */
  guard(what: string, fn: () => void): void;
  /** Whether the connection's principal may see this order. */
  visible(view: OrderView): boolean;
}): Subscriptions {
  const { feed, send, guard } = opts;
  const subscriptions = new Map<string, Subscription>();

  function release(orderId: string): void {
    const sub = subscriptions.get(orderId);
    if (!sub) return;
    subscriptions.delete(orderId);
    clearTimeout(sub.pendingTimer);
    sub.stopListening();
  }

  function deliver(orderId: string, sub: Subscription, view: OrderView): void {
    if (subscriptions.get(orderId) !== sub || view.orderId !== orderId) return;
    if (!opts.visible(view)) {
      // An order's consumer never changes: stop listening, but keep the slot and the pending
      // timer so the answer is the same NOT_FOUND, at the same time, as for a missing order.
      sub.stopListening();
      sub.stopListening = () => undefined;
      return;
    }
    const version = versionOf(view);
    if (!(version > sub.lastVersion)) return;
    if (!sub.confirmed) {
      sub.confirmed = true;
      clearTimeout(sub.pendingTimer);
      send({ type: 'subscribed', orderId });
    }
    sub.lastVersion = version;
    send({ type: 'order', order: view });
    if (isTerminal(view.status)) release(orderId);
  }

  function subscribe(orderId: string): void {
    const existing = subscriptions.get(orderId);
    if (existing) {
      // A pending one answers when it resolves; answering now would tell a foreign order apart.
      if (existing.confirmed) send({ type: 'subscribed', orderId });
      return;
    }
    if (subscriptions.size >= opts.maxSubscriptions) {
      send({ type: 'error', code: 'TOO_MANY_SUBSCRIPTIONS', message: `at most ${opts.maxSubscriptions} subscriptions per connection`, orderId });
      return;
    }
    const sub: Subscription = { lastVersion: Number.NEGATIVE_INFINITY, confirmed: false, stopListening: () => undefined };
    subscriptions.set(orderId, sub);
    // Listen first, then read the current view: a version arriving in between is not lost, and
    // one seen both ways is dropped by the version check.
    sub.stopListening = feed.subscribe(orderId, (view) => guard('order listener', () => deliver(orderId, sub, view)));
    const current = feed.current(orderId);
    if (current) deliver(orderId, sub, current);
    if (subscriptions.get(orderId) === sub && !sub.confirmed) {
      sub.pendingTimer = setTimeout(() => guard('pending subscription', () => {
        if (subscriptions.get(orderId) !== sub) return;
        release(orderId);
        send({ type: 'error', code: 'NOT_FOUND', message: 'no such order', orderId });
      }), opts.pendingMs);
    }
  }

  return {
    subscribe,
    release,
    releaseAll: () => { for (const orderId of [...subscriptions.keys()]) release(orderId); },
  };
}
