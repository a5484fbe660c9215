import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pricedOrder } from '../support/orders.js';
import { startOrderHarness, type NodeUnderTest, type OrderHarness } from '../support/order-harness.js';

const waitFor = async (cond: () => Promise<boolean>, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('cancelling an order', () => {
  let h: OrderHarness;
  let node: NodeUnderTest;
  beforeAll(async () => {
    h = await startOrderHarness('cancel', { latency: [{ target: 'logistics.CreateDelivery', fixedMs: 400 }, { target: 'merchant.SendOrder', fixedMs: 400 }] });
    node = h.node('node-a');
  });
  afterAll(async () => { await h?.stop(); });

  it('while a step is in flight undoes that step and the completed ones, and ends CANCELLED with money netting to zero', async () => {
    const order = pricedOrder();
    await node.runtime.registry.place(order);
    await waitFor(async () => (await node.runtime.registry.get(order.orderId)).state.status === 'PAYMENT_AUTHORIZED', 5_000);
    const reply = await node.runtime.registry.cancel(order.orderId, 'changed my mind');
    expect(reply.state.status).toBe('COMPENSATING');
    const state = await node.terminal(order.orderId);
    expect(state.status).toBe('CANCELLED');
    expect(state.compensated).toEqual(['delivery', 'authorize']);
    // The delivery call in flight lands after its undo was recorded: the service refuses it.
    await new Promise((r) => setTimeout(r, 500));
    expect(await h.violations({ [order.orderId]: 'CANCELLED' })).toEqual([]);
  });

  it('that overtakes its place command still cancels the order, with no downstream call made', async () => {
    const order = pricedOrder();
    await node.runtime.registry.cancel(order.orderId, 'changed my mind');
    await node.runtime.registry.place(order);
    const state = await node.terminal(order.orderId);
    expect(state.status).toBe('CANCELLED');
    expect(state.completed).toEqual({});
    expect(await h.violations({ [order.orderId]: 'CANCELLED' })).toEqual([]);
  });

  it('is idempotent: a second cancel changes nothing', async () => {
    const order = pricedOrder();
    await node.runtime.registry.place(order);
    await node.runtime.registry.cancel(order.orderId, 'first');
    const second = await node.runtime.registry.cancel(order.orderId, 'second');
    expect(['COMPENSATING', 'CANCELLED']).toContain(second.state.status);
    expect((await node.terminal(order.orderId)).status).toBe('CANCELLED');
    expect(node.eventsOf(order.orderId).filter((e) => e.type === 'CancelRequested')).toHaveLength(1);
  });

  it('leaves a completed order completed', async () => {
    const order = pricedOrder();
    await node.runtime.registry.place(order);
    await node.terminal(order.orderId);
    const reply = await node.runtime.registry.cancel(order.orderId, 'too late');
    expect(reply.state.status).toBe('COMPLETED');
    expect(await h.violations({ [order.orderId]: 'COMPLETED' })).toEqual([]);
  });
});
