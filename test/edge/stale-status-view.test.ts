import * as grpc from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { OrderView } from '../../src/domain/order-view.js';
import { createTokenService } from '../../src/edge/auth.js';
import { checkoutServiceHandlers } from '../../src/edge/checkout-service.js';
import { createStatusCodec } from '../../src/grpc/status-details.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMemoryStatusFeed } from '../support/memory-status-feed.js';
import { view } from '../support/ws-node.js';

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
  const handlers = checkoutServiceHandlers({
    tokens, codec: createStatusCodec(), logger: silentLogger(), feed,
    place: () => Promise.reject(new Error('unused')),
    requestCancel: () => Promise.resolve(),
    readOrder: async () => journal,
    learn: (v) => feed.publish(v),
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
