import { isTerminal } from '../domain/order.js';
import type { OrderView } from '../domain/order-view.js';
import type { OrderStatusFeed } from './order-status-feed.js';

/**
 * The order as well as this node can know it: its status view, checked against the journal when
 * the view may be behind.
 *
 * The view is fed by `order-events`, and a gap in that feed leaves it stale with nothing to
 * correct it: statuses a publisher gave up on (Kafka unreachable past its retries), or a node
 * whose status consumer was out of the group while others finished its orders. A finished order's
 * view is final. An unfinished one whose last change is older than `trustMs` (and that was not
 * checked within `trustMs`) is read from the journal once; a newer journal view goes to `learn`
 * (the node's view takes it, so its watchers see it too) and is what the caller gets. A journal
 * that cannot be read leaves the view as the answer: it may be behind, it is never wrong about the
 * past. Orders the view does not hold are read from the journal, as before.
 */
export interface OrderLookup {
  find(orderId: string): Promise<OrderView | undefined>;
}

export interface OrderLookupDeps {
  feed: Pick<OrderStatusFeed, 'current'>;
  readOrder(orderId: string): Promise<OrderView | undefined>;
  /** A view newer than the feed's, read from the journal. */
  learn?(view: OrderView): void;
  /** The feed was behind the journal for this order (a metric, a log line). */
  onBehind?(held: OrderView, journal: OrderView): void;
  now?: () => number;
  /** How long an unfinished order's view is taken as current without a look at the journal; default 5 000. */
  trustMs?: number;
  /** Orders whose last check is remembered; default 10 000 (the oldest is forgotten first). */
  maxChecked?: number;
}

export function createOrderLookup(deps: OrderLookupDeps): OrderLookup {
  const now = deps.now ?? Date.now;
  const trustMs = deps.trustMs ?? 5_000;
  const maxChecked = deps.maxChecked ?? 10_000;
  /** orderId → when this node last compared its view with the journal. */
  const checkedAt = new Map<string, number>();
  const remember = (orderId: string, at: number) => {
    checkedAt.delete(orderId);
    checkedAt.set(orderId, at);
    if (checkedAt.size > maxChecked) checkedAt.delete(checkedAt.keys().next().value as string);
  };
  return {
    async find(orderId) {
      const held = deps.feed.current(orderId);
      if (!held) return deps.readOrder(orderId);
      const at = now();
      if (isTerminal(held.status) || at - Math.max(Number(held.updatedAt), checkedAt.get(orderId) ?? 0) < trustMs) return held;
      remember(orderId, at);
      const journal = await deps.readOrder(orderId).catch(() => undefined);
      if (!journal || journal.version <= held.version) return held;
      deps.onBehind?.(held, journal);
      deps.learn?.(journal);
      return journal;
    },
  };
}

/**
 * The feed as a push channel (the websocket edge) sees it: `current` answers the view at once and,
 * for an unfinished order, has `lookup` check it against the journal in the background (within
 * the lookup's trust window this costs nothing). A newer journal view goes to the lookup's `learn`,
 * so it reaches this feed's subscribers like any other change.
 */
export function refreshingFeed(feed: OrderStatusFeed, lookup: OrderLookup): OrderStatusFeed {
  return {
    current(orderId) {
      const view = feed.current(orderId);
      if (view && !isTerminal(view.status)) lookup.find(orderId).catch(() => undefined);
      return view;
    },
    subscribe: (orderId, listener) => feed.subscribe(orderId, listener),
  };
}
