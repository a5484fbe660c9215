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

const SECRET = 'watch-cancel-secret-0123456789abcdef0123456789';

describe('a WatchOrder cancelled while its order is being looked up', () => {
  it('leaves no subscription behind on the status feed', async () => {
    const feed = createMemoryStatusFeed();
    const tokens = createTokenService({ secret: SECRET });
    const order: OrderView = view('o-watch-cancel', 'c-watch', 'PLACED', 1);
    let answerLookup: ((v: OrderView) => void) | undefined;
    const handlers = checkoutServiceHandlers({
      tokens, codec: createStatusCodec(), logger: silentLogger(), feed,
      place: () => Promise.reject(new Error('unused')),
      requestCancel: () => Promise.resolve(),
      // The order is not in this node's view: it is read from the journal, which takes a while.
      readOrder: () => new Promise<OrderView>((resolve) => { answerLookup = resolve; }),
    });
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${await tokens.mint('c-watch', { role: 'consumer' })}`);
    const call = Object.assign(new EventEmitter(), {
      request: { orderId: order.orderId }, metadata, write: () => true, end: () => undefined, getDeadline: () => Infinity,
    });
    handlers.WatchOrder(call as unknown as grpc.ServerWritableStream<never, never>);
    await expect.poll(() => answerLookup).toBeDefined();
    call.emit('cancelled');
    answerLookup!(order);
    await new Promise((r) => setTimeout(r, 20));
    expect(feed.listenerCount(order.orderId)).toBe(0);
  });
});
