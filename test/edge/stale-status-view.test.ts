import * as grpc from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderView } from '../../src/domain/order-view.js';
import { createTokenService } from '../../src/edge/auth.js';
import { checkoutServiceHandlers } from '../../src/edge/checkout-service.js';
import { createStatusCodec } from '../../src/grpc/status-details.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createOrderLookup, refreshingFeed } from '../../src/status/order-lookup.js';
import { createMemoryStatusFeed } from '../support/memory-status-feed.js';
import { connect, startNode, stopWsNode, subscribed, view } from '../support/ws-node.js';

const SECRET = 'stale-view-secret-0123456789abcdef0123456789ab';

/**
 * The node's status view missed an order's later changes (a gap in order-events) and has held it
 * at PAYMENT_AUTHORIZED for a minute; its journal says COMPLETED.
 */
async function nodeWithStaleView() {
  const feed = createMemoryStatusFeed();
  feed.publish(view('o-stale', 'c-stale', 'PAYMENT_AUTHORIZED', 3, { updatedAt: Date.now() - 60_000 }));
  const journal = view('o-stale', 'c-stale', 'COMPLETED', 7, { updatedAt: Date.now() - 55_000 });
  const tokens = createTokenService({ secret: SECRET });
  const readOrder = async () => journal;
  const handlers = checkoutServiceHandlers({
    tokens, codec: createStatusCodec(), logger: silentLogger(), feed, readOrder,
    place: () => Promise.reject(new Error('unused')),
    requestCancel: () => Promise.resolve(),
    // As the node wires it: a newer journal view goes to the node's view (node-edge.ts).
    lookup: createOrderLookup({ feed, readOrder, learn: (v) => feed.publish(v) }),
  });
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${await tokens.mint('c-stale', { role: 'consumer' })}`);
  return { handlers, metadata, feed };
}

describe('a node whose status view fell behind an order\'s journal', () => {
  it('answers GetOrder with the journal\'s status, not the stale one', async () => {
    const { handlers, metadata } = await nodeWithStaleView();
    const answer = await new Promise<OrderView>((resolve, reject) => {
      const call = { request: { orderId: 'o-stale' }, metadata, getDeadline: () => Infinity };
      handlers.GetOrder(call as unknown as grpc.ServerUnaryCall<never, never>, (err, res) => (err ? reject(err) : resolve(res as OrderView)));
    });
    expect(answer).toMatchObject({ status: 'COMPLETED', version: 7 });
  });

  it('ends a WatchOrder at the journal\'s terminal status instead of waiting on the stale one', async () => {
    const { handlers, metadata } = await nodeWithStaleView();
    const written: string[] = [];
    const ended = new Promise<void>((resolve) => {
      const call = Object.assign(new EventEmitter(), {
        request: { orderId: 'o-stale' }, metadata, getDeadline: () => Infinity,
        write: (v: OrderView) => { written.push(v.status); return true; }, end: () => resolve(),
      });
      handlers.WatchOrder(call as unknown as grpc.ServerWritableStream<never, never>);
    });
    await ended;
    expect(written).toEqual(['COMPLETED']);
  }, 5_000);

  it('lets the node\'s view take the journal\'s status, so its other readers see it too', async () => {
    const { handlers, metadata, feed } = await nodeWithStaleView();
    await new Promise<void>((resolve, reject) => {
      const call = { request: { orderId: 'o-stale' }, metadata, getDeadline: () => Infinity };
      handlers.GetOrder(call as unknown as grpc.ServerUnaryCall<never, never>, (err) => (err ? reject(err) : resolve()));
    });
    expect(feed.current('o-stale')?.status).toBe('COMPLETED');
  });
});

describe('a websocket subscriber on a node whose status view fell behind', () => {
  afterEach(stopWsNode);

  it('gets the journal\'s newer status right after the stale one', async () => {
    const n = await startNode({}, {
      wrapFeed: (feed) => refreshingFeed(feed, createOrderLookup({
        feed, readOrder: async () => view('o-1', 'alice', 'COMPLETED', 7), learn: (v) => feed.publish(v),
      })),
    });
    n.feed.publish(view('o-1', 'alice', 'PAYMENT_AUTHORIZED', 3)); // last changed long ago
    const alice = await connect(n, { token: 'token-alice' });
    await subscribed(alice, 'o-1', 3);
    expect(await alice.next()).toMatchObject({ type: 'order', order: { orderId: 'o-1', status: 'COMPLETED', version: 7 } });
  });
});
