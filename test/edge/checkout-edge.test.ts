import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutNode } from '../../cluster/checkout-node.js';
import type { Order__Output } from '../../src/generated/checkout/v1/Order.js';
import type { CheckoutServiceClient } from '../../src/generated/checkout/v1/CheckoutService.js';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { richStatus, startTestCluster, unary, type TestCluster } from '../support/checkout-cluster.js';
import { placeRequest } from '../support/place-requests.js';

function watchAll(client: CheckoutServiceClient, orderId: string): Promise<Order__Output[]> {
  return new Promise((resolve, reject) => {
    const seen: Order__Output[] = [];
    const stream = client.watchOrder({ orderId });
    stream.on('data', (o: Order__Output) => seen.push(o));
    stream.on('end', () => resolve(seen));
    stream.on('error', reject);
  });
}

describe('the checkout edge over gRPC', () => {
  let cluster: TestCluster;
  let node: CheckoutNode;
  let alice: CheckoutServiceClient;
  beforeAll(async () => {
    cluster = await startTestCluster();
    node = await cluster.startNode('edge-1');
    alice = await cluster.client(node, 'c-alice');
  });
  afterAll(async () => { await cluster?.stop(); });

  it('accepts an order and streams every status change, in order, to COMPLETED', async () => {
    const placed = await unary<object, PlaceOrderResponse__Output>(alice.placeOrder.bind(alice), placeRequest('c-alice'));
    expect(placed.orderId).toMatch(/^o-/);
    expect(placed.status).toBe('PLACED');
    expect(placed.total).toMatchObject({ currency: 'USD' });
    const updates = await watchAll(alice, placed.orderId);
    const statuses = updates.map((u) => u.status);
    expect(statuses.at(-1)).toBe('COMPLETED');
    const versions = updates.map((u) => Number(u.version));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    const order = await unary<object, Order__Output>(alice.getOrder.bind(alice), { orderId: placed.orderId });
    expect(order.status).toBe('COMPLETED');
    expect(Number(order.total?.minor)).toBe(Number(placed.total?.minor));
  });

  it('answers UNAUTHENTICATED without a token', async () => {
    const anonymous = await cluster.client(node);
    const err = await unary(anonymous.placeOrder.bind(anonymous), placeRequest('c-alice')).catch((e: unknown) => e);
    expect(richStatus(err).code).toBe(16);
  });

  it('answers INVALID_ARGUMENT with every bad field named', async () => {
    const err = await unary(alice.placeOrder.bind(alice), placeRequest('c-alice', { idempotencyKey: 'x', lines: [{ itemId: '', quantity: 0 }] })).catch((e: unknown) => e as grpc.ServiceError);
    const status = richStatus(err);
    expect(status.code).toBe(3);
    const fields = status.badRequest?.fieldViolations.map((v) => v.field) ?? [];
    expect(fields).toEqual(expect.arrayContaining(['idempotency_key', 'lines[0].item_id', 'lines[0].quantity']));
  });
});
