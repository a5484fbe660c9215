import type { Server as HttpServer } from 'node:http';
import type * as grpc from '@grpc/grpc-js';
import type { Client } from 'cassandra-driver';
import { Counter, type Registry } from 'prom-client';
import { fallbackSettingsOf, type Config } from '../src/config/config.js';
import type { DownstreamClients } from '../src/clients/downstream-clients.js';
import { tokenServiceOf } from '../src/edge/config-tokens.js';
import { checkoutServiceHandlers } from '../src/edge/checkout-service.js';
import type { OrderView } from '../src/domain/order-view.js';
import { createPlaceOrderFlow } from '../src/edge/place-order-flow.js';
import { toGrpcError } from '../src/edge/rich-errors.js';
import { decodeFailuresAsMarkers, rejectUndecodable } from '../src/edge/undecodable-requests.js';
import { createWebsocketServer } from '../src/edge/websocket-server.js';
import type { ProtoGrpcType as CheckoutProto } from '../src/generated/checkout.js';
import type { LoadedProto } from '../src/grpc/protos.js';
import type { StatusCodec } from '../src/grpc/status-details.js';
import type { OrderCommandMessage } from '../src/messaging/order-commands.js';
import type { Logger } from '../src/observability/logger.js';
import { createOrderPricer } from '../src/pricing/price-order.js';
import type { StatusViewStore } from '../src/status/status-view-store.js';
import { createOrderLookup, refreshingFeed } from '../src/status/order-lookup.js';
import { createIdempotencyStore } from '../src/storage/idempotency-store.js';
import type { StorageCounters } from '../src/storage/storage-counters.js';
import { orderIdInPool, poolOfOrder } from './routing/order-pool.js';
import { watchRulesFile } from './routing/rules-file.js';
import { createRoutingMetrics } from './routing/routing-metrics.js';
import { routeOrder } from './routing/sandbox-rules.js';

/** The client-facing side of a node: CheckoutService over gRPC and status over websocket. */
export function startNodeEdge(opts: {
  config: Config; cassandra: Client; downstream: DownstreamClients; codec: StatusCodec; logger: Logger; metrics: Registry;
  http: HttpServer; grpcServer: grpc.Server; checkoutProto: LoadedProto<CheckoutProto>;
  feed: StatusViewStore; publishCommand(cmd: OrderCommandMessage): Promise<void>; announce(view: OrderView): void;
  readOrder(orderId: string): Promise<OrderView | undefined>; newOrderId(): string; storageCounters?: StorageCounters;
}) {
  const { config } = opts;
  const tokens = tokenServiceOf(config);
  const routing = createRoutingMetrics(opts.metrics);
  // The pool is chosen once, at PlaceOrder, and written into the order id (cluster/routing/order-pool.ts).
  const rules = watchRulesFile({
    path: config.SANDBOX_RULES_FILE, logger: opts.logger, onLoaded: (l) => routing.rulesLoaded(l), onRefused: () => routing.rulesRefused(),
  });
  const pricer = createOrderPricer({
    clients: opts.downstream, deadlineMs: config.DOWNSTREAM_DEADLINE_MS, clock: Date.now, fallbacks: fallbackSettingsOf(config),
  });
  const flow = createPlaceOrderFlow({
    idempotency: createIdempotencyStore({ client: opts.cassandra, keyspace: config.CASSANDRA_KEYSPACE, ttlSeconds: config.IDEMPOTENCY_TTL_S, counters: opts.storageCounters }),
    price: (input, orderId, o) => pricer.price(input, orderId, o),
    publishPlace: async (order) => { await opts.publishCommand({ v: 1, type: 'place', order }); routing.routed(poolOfOrder(order.orderId)); },
    announce: opts.announce,
    findOrder: async (orderId) => {
      const total = (opts.feed.current(orderId) ?? (await opts.readOrder(orderId)))?.total;
      return total?.currency ? { totalMinor: Number(total.minor ?? 0), currency: total.currency } : undefined;
    },
    newOrderId: (input) => orderIdInPool(opts.newOrderId(), routeOrder(rules.current().rules, input)),
  });
  const viewBehind = new Counter({
    name: 'checkout_status_view_behind_total', registers: [opts.metrics],
    help: 'Orders whose status view was found behind their journal when asked for (a gap in order-events reaching this node); the view took the journal\'s',
  });
  // One lookup for both edges: an order's view is checked against its journal at most once per window.
  const lookup = createOrderLookup({
    feed: opts.feed, readOrder: opts.readOrder, trustMs: config.STATUS_VIEW_TRUST_MS,
    learn: (view) => { opts.feed.update(view); },
    onBehind: (held, journal) => {
      viewBehind.inc();
      opts.logger.warn({ orderId: held.orderId, held: { version: held.version, status: held.status }, journal: { version: journal.version, status: journal.status } }, 'status view was behind the journal; took the journal\'s');
    },
  });
  const service = decodeFailuresAsMarkers(opts.checkoutProto.grpc.checkout.v1.CheckoutService.service);
  const handlers = checkoutServiceHandlers({
    tokens, codec: opts.codec, logger: opts.logger, feed: opts.feed, readOrder: opts.readOrder,
    lookup,
    place: (input, signal) => flow.place(input, signal),
    requestCancel: (orderId, reason) => opts.publishCommand({ v: 1, type: 'cancel', orderId, reason }),
  });
  // Bad bytes are the client's error: INVALID_ARGUMENT with the reason, not grpc-js's INTERNAL.
  opts.grpcServer.addService(service, rejectUndecodable(service, handlers, (err, call) => toGrpcError(err, opts.codec, { logger: opts.logger, deadline: call.getDeadline() })));
  const ws = createWebsocketServer({
    server: opts.http, feed: refreshingFeed(opts.feed, lookup), authenticate: (token) => tokens.verify(token), logger: opts.logger,
    limits: { maxConnections: config.WS_MAX_CONNECTIONS, maxConnectionsPerConsumer: config.WS_MAX_CONNECTIONS_PER_CONSUMER },
  });
  return { stop: () => { rules.stop(); return ws.close(); } };
}
