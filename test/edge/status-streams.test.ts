import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutNode } from '../../cluster/checkout-node.js';
import type { CheckoutServiceClient } from '../../src/generated/checkout/v1/CheckoutService.js';
import type { Order__Output } from '../../src/generated/checkout/v1/Order.js';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { richStatus, startTestCluster, unary, type TestCluster } from '../support/checkout-cluster.js';
import { placeRequest } from '../support/place-requests.js';
import { openClient } from '../support/ws-test-client.js';

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

describe('status streams', () => {
  let cluster: TestCluster;
  let node: CheckoutNode;
  let client: CheckoutServiceClient;
  beforeAll(async () => {
    // Slow enough steps that a subscriber attached right after PlaceOrder sees each change live.
    cluster = await startTestCluster({ downstream: { latency: [{ target: 'fraud.*', fixedMs: 150 }, { target: 'payments.*', fixedMs: 150 }, { target: 'logistics.CreateDelivery', fixedMs: 150 }, { target: 'merchant.*', fixedMs: 150 }] } });
    node = await cluster.startNode('streams-1');
    client = await cluster.client(node, 'c-stream');
  });
  afterAll(async () => { await cluster?.stop(); });

  it('over websocket and WatchOrder both see every status change of an order, in order, ending at its terminal state', async () => {
    const placed = await unary<object, PlaceOrderResponse__Output>(client.placeOrder.bind(client), placeRequest('c-stream'));
    const ws = await openClient(`ws://${node.httpAddress}/ws`, { authorization: `Bearer ${await cluster.token('c-stream')}` });
    ws.send({ type: 'subscribe', orderId: placed.orderId });
    const grpcSeen = new Promise<string[]>((resolve, reject) => {
      const seen: string[] = [];
      const stream = client.watchOrder({ orderId: placed.orderId });
      stream.on('data', (o: Order__Output) => seen.push(`${o.version}:${o.status}`));
      stream.on('end', () => resolve(seen));
      stream.on('error', reject);
    });
    const wsSeen: string[] = [];
    for (;;) {
      const frame = await ws.next(10_000);
      if (frame.type !== 'order') continue;
      wsSeen.push(`${frame.order.version}:${frame.order.status}`);
      if (TERMINAL.has(frame.order.status)) break;
    }
    ws.ws.close();
    const expected = ['PLACED', 'FRAUD_CHECKED', 'PAYMENT_AUTHORIZED', 'DELIVERY_CREATED', 'SENT_TO_MERCHANT', 'COMPLETED'].map((s, i) => `${i + 1}:${s}`);
    expect(wsSeen).toEqual(expected);
    expect(await grpcSeen).toEqual(expected);
  });

  it('WatchOrder on another node right after PlaceOrder streams the order instead of answering NOT_FOUND', async () => {
    const other = await cluster.startNode('streams-2');
    const otherClient = await cluster.client(other, 'c-stream');
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const placed = await unary<object, PlaceOrderResponse__Output>(client.placeOrder.bind(client), placeRequest('c-stream'));
      // No pause: the other node hears of the order only when its announcement arrives over Kafka.
      seen.push(await new Promise<string>((resolve, reject) => {
        let last = '';
        const stream = otherClient.watchOrder({ orderId: placed.orderId });
        stream.on('data', (o: Order__Output) => { last = o.status; });
        stream.on('end', () => resolve(last));
        stream.on('error', reject);
      }));
    }
    expect(seen).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
  }, 60_000);

  it('a business rejection names its subject and what to do, as FAILED_PRECONDITION', async () => {
    const err = await unary(client.placeOrder.bind(client), placeRequest('c-stream', {
      merchantId: 'm-1', lines: [{ itemId: 'm-1-sold-out', quantity: 1 }, { itemId: 'm-1-item-1', quantity: 1 }],
    })).catch((e: unknown) => e);
    const status = richStatus(err);
    expect(status.code).toBe(9);
    expect(status.errorInfo?.reason).toBe('ITEM_UNAVAILABLE');
    expect(status.preconditionFailure?.violations).toEqual([expect.objectContaining({ type: 'ITEM_UNAVAILABLE', subject: 'items/m-1-sold-out', description: expect.stringMatching(/remove/i) })]);
    expect(status.message).not.toMatch(/Error|at |\.ts|cassandra|kafka/i);
  });
});
