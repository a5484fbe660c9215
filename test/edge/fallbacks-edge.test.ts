import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutNode } from '../../cluster/checkout-node.js';
import type { CheckoutServiceClient } from '../../src/generated/checkout/v1/CheckoutService.js';
import type { Order__Output } from '../../src/generated/checkout/v1/Order.js';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { FIXTURES } from '../../src/load/demo-world.js';
import { startTestCluster, unary, type TestCluster } from '../support/checkout-cluster.js';
import { placeRequest } from '../support/place-requests.js';
import { waitForDashboard } from '../dashboard/dashboard-http.js';

const TERMINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];

describe('fallbacks as a client and operations see them, on a running node', () => {
  let cluster: TestCluster;
  let node: CheckoutNode;
  let bob: CheckoutServiceClient;
  beforeAll(async () => {
    cluster = await startTestCluster();
    node = await cluster.startNode('fb-edge-1');
    bob = await cluster.client(node, 'c-bob');
  });
  afterEach(async () => { await cluster.downstream.clients.admin.setFaults({ rules: [] }); });
  afterAll(async () => { await cluster?.stop(); });

  /** A small order at a merchant with a promotion, followed to its end; GetOrder's answer then. */
  const placeAndFinish = async (): Promise<Order__Output> => {
    const request = placeRequest('c-bob', { merchantId: 'm-41', lines: [{ itemId: 'm-41-item-1', quantity: 2, note: '' }], tipMinor: 0 });
    const placed = await unary<object, PlaceOrderResponse__Output>(bob.placeOrder.bind(bob), request);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const order = await unary<object, Order__Output>(bob.getOrder.bind(bob), { orderId: placed.orderId });
      if (TERMINAL.includes(order.status)) return order;
    }
    throw new Error(`${placed.orderId} did not finish`);
  };

  it('GetOrder names every fallback taken and which parts were estimated', async () => {
    await cluster.downstream.clients.admin.setFaults({
      rules: ['catalog.GetPromotion', 'logistics.QuoteDelivery', 'fraud.Assess'].map((target) => ({ target, kind: 'UNAVAILABLE' as const })),
    });
    const order = await placeAndFinish();
    expect(order.status).toBe('COMPLETED');
    expect(order.fallbacks.map((f) => [f.dependency, f.rule, f.step])).toEqual([
      ['promotions', 'PRICE_WITHOUT_DISCOUNT', ''],
      ['delivery_quote', 'ZONE_DEFAULT_DELIVERY', ''],
      ['fraud', 'ALLOW_SMALL_ORDER_UNCHECKED', 'fraud'],
    ]);
    expect(order.estimated).toEqual(['delivery_fee', 'eta']);
    expect(order.etaMinutes).toBe(FIXTURES.zoneDefaultEtaMinutes);
    expect(Number(order.deliveryFee?.minor)).toBe(FIXTURES.zoneDefaultFeeMinor);
    expect(Number(order.discount?.minor ?? 0)).toBe(0);
  });

  it('with every dependency up, GetOrder shows the confirmed discount and quote, no fallback, nothing estimated', async () => {
    const order = await placeAndFinish();
    expect(order.status).toBe('COMPLETED');
    expect(order.fallbacks).toEqual([]);
    expect(order.estimated).toEqual([]);
    expect(Number(order.discount?.minor)).toBe(99);
  });

  it('the node counts fallbacks by dependency and orders saved by them, on /metrics and the dashboard', async () => {
    const text = await (await fetch(`http://${node.adminAddress}/metrics`)).text();
    for (const dependency of ['promotions', 'delivery_quote', 'fraud']) {
      expect(text).toMatch(new RegExp(`^checkout_fallbacks_total\\{(?=[^}]*dependency="${dependency}")[^}]*\\} 1$`, 'm'));
    }
    expect(text).toMatch(/^checkout_orders_saved_by_fallback_total\{[^}]*\} 1$/m);
    const operator = await cluster.operatorToken('ops-fallbacks');
    const summary = await waitForDashboard(node.adminAddress, operator, (s) => s.fallbacks.savedByFallback === 1, 10_000);
    expect(summary.fallbacks.byDependency).toEqual({ promotions: 1, delivery_quote: 1, fraud: 1 });
    expect(summary.fallbacks.taken).toBe(3);
  });
});
