import type * as grpc from '@grpc/grpc-js';
import { isTerminal, type OrderStatus } from '../domain/order.js';
import type { CheckoutServiceHandlers } from '../generated/checkout/v1/CheckoutService.js';
import type { StatusCodec } from '../grpc/status-details.js';
import type { Logger } from '../observability/logger.js';
import type { OrderStatusFeed } from '../status/order-status-feed.js';
import { createOrderLookup, type OrderLookup } from '../status/order-lookup.js';
import { authenticate, type Principal, type TokenService } from './auth.js';
import type { OrderView } from '../domain/order-view.js';
import type { Accepted } from './place-order-flow.js';
import { validatePlaceOrder } from './place-order-validation.js';
import { notFound, toGrpcError } from './rich-errors.js';
import type { PlaceOrderInput } from '../domain/place-order.js';
import { InvalidInputError } from '../domain/errors.js';

export interface CheckoutServiceDeps {
  tokens: Pick<TokenService, 'verify'>;
  codec: StatusCodec;
  logger: Logger;
  place(input: PlaceOrderInput, signal?: AbortSignal): Promise<Accepted>;
  feed: OrderStatusFeed;
  /** The order from its journal, for orders this node's status view does not hold or may hold stale. */
  readOrder(orderId: string): Promise<OrderView | undefined>;
  /**
   * Finds an order: the feed's view, checked against the journal when it may be behind
   * (src/status/order-lookup.ts). Default: one over `feed` and `readOrder` that corrects only
   * its answer, not the feed.
   */
  lookup?: OrderLookup;
  /** Routes a cancel to the order's owner (through `order-commands`). */
  requestCancel(orderId: string, reason: string): Promise<void>;
  /** How long CancelOrder waits to see the cancel take effect before answering. */
  cancelWaitMs?: number;
  /** How long GetOrder/WatchOrder/CancelOrder wait for an order this node has not heard of yet. */
  unknownOrderWaitMs?: number;
}

const ORDER_ID = /^[\w.:-]{1,80}$/;
/** `o-<uuid>`, or `sbx-o-<uuid>` for the sandbox pool (cluster/routing/order-pool.ts). */
const ISSUED_ORDER_ID = /^(sbx-)?o-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The CheckoutService handlers: auth, then the call, every failure mapped to a rich status. */
export function checkoutServiceHandlers(deps: CheckoutServiceDeps): CheckoutServiceHandlers {
  const lookup = deps.lookup ?? createOrderLookup({ feed: deps.feed, readOrder: deps.readOrder });
  const fail = (err: unknown, call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>) =>
    toGrpcError(err, deps.codec, { logger: deps.logger, deadline: call.getDeadline() });

  /** The order if it exists and the caller may see it; otherwise NOT_FOUND, the same in both cases. */
  const visibleOrder = async (principal: Principal, orderId: unknown): Promise<OrderView> => {
    if (typeof orderId !== 'string' || !ORDER_ID.test(orderId)) throw new InvalidInputError([{ field: 'order_id', description: 'must be an order id returned by PlaceOrder' }]);
    // Just placed on another node, an order is known here only once its announcement arrives
    // over order-events (tens of ms): wait a little for it before calling it unknown. Only ids
    // shaped like the ones PlaceOrder hands out are waited for; anything else is unknown at once.
    const started = Date.now();
    const waitMs = deps.unknownOrderWaitMs ?? 1_500;
    const issued = ISSUED_ORDER_ID.test(orderId);
    const view = (await lookup.find(orderId))
      ?? (issued ? await waitForChange(deps.feed, orderId, () => true, waitMs) : undefined);
    if (view && (view.consumerId === principal.consumerId || principal.admin)) return view;
    // Another consumer's order is answered like a missing one, and no sooner: the time taken
    // must not tell that it exists.
    if (issued) await new Promise((r) => setTimeout(r, Math.max(0, started + waitMs - Date.now())));
    throw notFound('order');
  };

  /** A replayed PlaceOrder tells where its order is now (it may have finished long ago), not PLACED. */
  const currentStatus = async (orderId: string): Promise<OrderStatus> => {
    const view = await lookup.find(orderId).catch(() => undefined);
    return view?.status ?? 'PLACED';
  };

  return {
    PlaceOrder(call, callback) {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      void (async () => {
        const principal = await authenticate(call.metadata, deps.tokens);
        const input = validatePlaceOrder(call.request, principal);
        const accepted = await deps.place(input, abort.signal);
        const status = accepted.replayed ? await currentStatus(accepted.orderId) : 'PLACED';
        return { orderId: accepted.orderId, status, total: { currency: accepted.currency, minor: accepted.totalMinor }, replayed: accepted.replayed };
      })().then((res) => callback(null, res), (err: unknown) => callback(fail(err, call)));
    },

    GetOrder(call, callback) {
      void (async () => visibleOrder(await authenticate(call.metadata, deps.tokens), call.request.orderId))()
        .then((view) => callback(null, view), (err: unknown) => callback(fail(err, call)));
    },

    WatchOrder(call) {
      let unsubscribe: (() => void) | undefined;
      let cancelled = false;
      call.on('cancelled', () => { cancelled = true; unsubscribe?.(); });
      void (async () => {
        const view = await visibleOrder(await authenticate(call.metadata, deps.tokens), call.request.orderId);
        // Cancelled while looking the order up: subscribing now would hold a listener until the order ends.
        if (cancelled) return;
        let version = view.version;
        const send = (v: OrderView) => {
          if (v.version <= version && v !== view) return;
          version = v.version;
          call.write(v);
          if (isTerminal(v.status)) { unsubscribe?.(); call.end(); }
        };
        // Subscribe before sending the current view, so no change can slip between the two.
        unsubscribe = deps.feed.subscribe(view.orderId, send);
        send(view);
      })().catch((err: unknown) => { unsubscribe?.(); call.emit('error', fail(err, call)); });
    },

    CancelOrder(call, callback) {
      void (async () => {
        const principal = await authenticate(call.metadata, deps.tokens);
        const view = await visibleOrder(principal, call.request.orderId);
        if (isTerminal(view.status) || view.status === 'COMPENSATING') return { orderId: view.orderId, status: view.status };
        const reason = typeof call.request.reason === 'string' ? call.request.reason.slice(0, 200) : '';
        const changed = waitForChange(deps.feed, view.orderId, (v) => v.status === 'COMPENSATING' || isTerminal(v.status), deps.cancelWaitMs ?? 3_000);
        await deps.requestCancel(view.orderId, reason);
        const after = (await changed) ?? deps.feed.current(view.orderId) ?? view;
        return { orderId: after.orderId, status: after.status };
      })().then((res) => callback(null, res), (err: unknown) => callback(fail(err, call)));
    },
  };
}

function waitForChange(feed: OrderStatusFeed, orderId: string, done: (v: OrderView) => boolean, timeoutMs: number): Promise<OrderView | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { off(); resolve(undefined); }, timeoutMs);
    const off = feed.subscribe(orderId, (v) => { if (done(v)) { clearTimeout(timer); off(); resolve(v); } });
  });
}
