import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutNode } from '../../cluster/checkout-node.js';
import type { CheckoutServiceClient } from '../../src/generated/checkout/v1/CheckoutService.js';
import type { Order__Output } from '../../src/generated/checkout/v1/Order.js';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { richStatus, startTestCluster, unary, type TestCluster } from '../support/checkout-cluster.js';
import { placeRequest } from '../support/place-requests.js';
import { untilNoCallInFlight } from '../support/downstream.js';
import { pollUntil } from '../support/poll.js';
import { checkLedger } from '../../cluster/local/downstream/ledger-invariants.js';
import { readFinalOrders } from '../../cluster/local/chaos/chaos-check.js';

const streamError = (client: CheckoutServiceClient, orderId: string) => new Promise<unknown>((resolve) => {
  const s = client.watchOrder({ orderId });
  s.on('data', () => resolve(new Error('got data')));
  s.on('error', resolve);
});

describe('a consumer', () => {
  let cluster: TestCluster;
  let node: CheckoutNode;
  let alice: CheckoutServiceClient;
  let bob: CheckoutServiceClient;
  let aliceOrder: string;
  beforeAll(async () => {
    cluster = await startTestCluster({ downstream: { latency: [{ target: 'merchant.SendOrder', fixedMs: 3_000 }] } });
    node = await cluster.startNode('iso-1');
    alice = await cluster.client(node, 'c-alice');
    bob = await cluster.client(node, 'c-bob');
    aliceOrder = (await unary<object, PlaceOrderResponse__Output>(alice.placeOrder.bind(alice), placeRequest('c-alice'))).orderId;
  });
  afterAll(async () => { await cluster?.stop(); });

  it("cannot read another consumer's order: NOT_FOUND, exactly as for a missing one", async () => {
    const timed = async (orderId: string) => {
      const t0 = Date.now();
      const status = richStatus(await unary(bob.getOrder.bind(bob), { orderId }).catch((e: unknown) => e));
      return { status, ms: Date.now() - t0 };
    };
    const theirs = await timed(aliceOrder);
    const missing = await timed(`o-${randomUUID()}`);
    expect(theirs.status.code).toBe(5);
    expect(theirs.status).toEqual(missing.status);
    // Nor in the time it takes: both wait out the window a just-placed order gets to show up.
    expect(Math.abs(theirs.ms - missing.ms), `theirs ${theirs.ms} ms, missing ${missing.ms} ms`).toBeLessThan(500);
  });

  it("cannot watch another consumer's order", async () => {
    expect(richStatus(await streamError(bob, aliceOrder)).code).toBe(5);
  });

  it("cannot cancel another consumer's order, which carries on", async () => {
    expect(richStatus(await unary(bob.cancelOrder.bind(bob), { orderId: aliceOrder }).catch((e: unknown) => e)).code).toBe(5);
    const order = await unary<object, Order__Output>(alice.getOrder.bind(alice), { orderId: aliceOrder });
    expect(order.status).not.toBe('COMPENSATING');
    expect(order.status).not.toBe('CANCELLED');
  });

  it('cannot place an order in another consumer\'s name', async () => {
    const err = richStatus(await unary(bob.placeOrder.bind(bob), placeRequest('c-alice')).catch((e: unknown) => e));
    expect(err.code).toBe(7);
  });

  it('can cancel its own order, which ends CANCELLED with its steps undone', async () => {
    const placed = await unary<object, PlaceOrderResponse__Output>(alice.placeOrder.bind(alice), placeRequest('c-alice'));
    const statusNow = async () => (await unary<object, Order__Output>(alice.getOrder.bind(alice), { orderId: placed.orderId })).status ?? '';
    await pollUntil('the order waits on its slow merchant call', statusNow, (s) => s === 'DELIVERY_CREATED', { timeoutMs: 10_000 });
    const reply = await unary<object, { status: string }>(alice.cancelOrder.bind(alice), { orderId: placed.orderId, reason: 'changed my mind' });
    expect(['COMPENSATING', 'CANCELLED']).toContain(reply.status);
    expect(await pollUntil('the order ends', statusNow, (s) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(s), { timeoutMs: 15_000 })).toBe('CANCELLED');
    await untilNoCallInFlight(cluster.downstream.clients.admin); // the merchant call in flight lands, and is refused
    const finals = await readFinalOrders(cluster.keyspace.client, cluster.keyspace.keyspace, [placed.orderId]);
    expect(checkLedger(await cluster.downstream.ledger(placed.orderId), finals).violations).toEqual([]);
  });
});
