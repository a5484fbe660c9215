import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepName } from '../../src/domain/checkout-steps.js';
import { pricedOrder } from '../support/orders.js';
import { shardOf } from '../../src/domain/shard-of.js';
import { startOrderHarness, type NodeUnderTest, type OrderHarness } from '../support/order-harness.js';
import { journalOf } from '../../actors/order/journal-of.js';

async function counterValue(node: NodeUnderTest, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await node.metrics.getSingleMetric(name)?.get();
  const match = metric?.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return (match ?? []).reduce((sum, v) => sum + v.value, 0);
}

const operations = (entries: Array<{ operation: string }>) => entries.map((e) => e.operation);

describe('an order actor on real Cassandra and real downstream services', () => {
  let h: OrderHarness;
  let node: NodeUnderTest;
  beforeAll(async () => {
    h = await startOrderHarness('orders');
    node = h.node('node-a');
  });
  afterAll(async () => { await h?.stop(); });

  it('completes the happy path with exactly one authorization, delivery, ticket and capture', async () => {
    const order = pricedOrder();
    await node.runtime.registry.place(order);
    const state = await node.terminal(order.orderId);
    expect(state.status).toBe('COMPLETED');
    expect(operations(await h.ledger(order.orderId))).toEqual([
      'fraud.Assess', 'payments.Authorize', 'logistics.CreateDelivery', 'merchant.SendOrder', 'payments.Capture',
    ]);
    expect(await h.violations({ [order.orderId]: 'COMPLETED' })).toEqual([]);
  });

  it('persists each step outcome as its own event, in order', async () => {
    const order = pricedOrder();
    await node.runtime.registry.place(order);
    await node.terminal(order.orderId);
    const journal = await journalOf(h.client, h.keyspace, order.orderId);
    expect(journal.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(journal.map((r) => (r.event.type === 'StepSucceeded' ? r.event.step : r.type))).toEqual([
      'OrderPlaced', 'fraud', 'authorize', 'delivery', 'merchant', 'capture',
    ]);
    expect(new Set(journal.map((r) => r.writer))).toEqual(new Set(['node-a']));
  });

  const fatalCases: Array<{ step: StepName; reason: string; order: Parameters<typeof pricedOrder>[0]; undone: string[] }> = [
    { step: 'fraud', reason: 'FRAUD_REJECTED', order: { consumerId: 'c-fraud' }, undone: [] },
    { step: 'authorize', reason: 'CARD_DECLINED', order: { paymentMethodId: 'pm-0002' }, undone: [] },
    { step: 'delivery', reason: 'NO_COURIER', order: { address: { ...pricedOrder().address, postalCode: '00000' } }, undone: ['payments.Void'] },
    { step: 'merchant', reason: 'MERCHANT_REJECTED', order: { merchantId: 'm-rejects' }, undone: ['logistics.CancelDelivery', 'payments.Void'] },
  ];

  for (const c of fatalCases) {
    it(`fails with ${c.reason} at the ${c.step} step and undoes the completed steps newest first`, async () => {
      const order = pricedOrder(c.order);
      await node.runtime.registry.place(order);
      const state = await node.terminal(order.orderId);
      expect(state.status).toBe('FAILED');
      expect(state.compensation).toMatchObject({ reason: c.reason, failedStep: c.step });
      expect(state.compensation?.message).toMatch(/\w+/);
      const ops = operations(await h.ledger(order.orderId));
      const undoOps = ops.filter((op) => /Void|Cancel|Refund/.test(op));
      expect(undoOps).toEqual(c.undone);
      expect(ops).not.toContain('payments.Capture');
      expect(await h.violations({ [order.orderId]: 'FAILED' })).toEqual([]);
    });
  }

  it('fails at capture, then voids the authorization and cancels the delivery and ticket in reverse', async () => {
    const order = pricedOrder();
    await h.downstream.clients.admin.setFaults({ rules: [{ target: 'payments.Capture', kind: 'CARD_DECLINED', matchOrderId: order.orderId }] });
    await node.runtime.registry.place(order);
    const state = await node.terminal(order.orderId);
    await h.downstream.clients.admin.setFaults({ rules: [] });
    expect(state.status).toBe('FAILED');
    expect(operations(await h.ledger(order.orderId)).filter((op) => /Void|Cancel|Refund/.test(op)))
      .toEqual(['merchant.CancelTicket', 'logistics.CancelDelivery', 'payments.Void']);
    expect(await h.violations({ [order.orderId]: 'FAILED' })).toEqual([]);
  });

  it('retries transient failures and completes, counting the order as saved by retry', async () => {
    const savedBefore = await counterValue(node, 'checkout_orders_saved_by_retry_total');
    const order = pricedOrder();
    await h.downstream.clients.admin.setFaults({ rules: [{ target: 'payments.Authorize', kind: 'UNAVAILABLE', firstCalls: 2, matchOrderId: order.orderId }] });
    await node.runtime.registry.place(order);
    const state = await node.terminal(order.orderId);
    await h.downstream.clients.admin.setFaults({ rules: [] });
    expect(state.status).toBe('COMPLETED');
    expect(state.completed.authorize?.attempts).toBe(3);
    expect(state.retried).toBe(true);
    expect(await counterValue(node, 'checkout_orders_saved_by_retry_total')).toBe(savedBefore + 1);
    expect(await counterValue(node, 'checkout_step_attempt_failures_total', { step: 'authorize', kind: 'run' })).toBeGreaterThanOrEqual(2);
  });

  it('compensates instead of hanging when a service stays down past the retry budget', async () => {
    const order = pricedOrder();
    await h.downstream.clients.admin.setFaults({ rules: [{ target: 'logistics.CreateDelivery', kind: 'UNAVAILABLE', matchOrderId: order.orderId }] });
    await node.runtime.registry.place(order);
    const state = await node.terminal(order.orderId);
    await h.downstream.clients.admin.setFaults({ rules: [] });
    expect(state.status).toBe('FAILED');
    expect(state.compensation?.reason).toBe('DELIVERY_UNAVAILABLE');
    expect(await h.violations({ [order.orderId]: 'FAILED' })).toEqual([]);
  });

  it('ignores a duplicate place command: one OrderPlaced in the journal', async () => {
    const order = pricedOrder();
    await node.runtime.registry.place(order);
    const again = await node.runtime.registry.place(order);
    expect(again.duplicate).toBe(true);
    await node.terminal(order.orderId);
    const journal = await journalOf(h.client, h.keyspace, order.orderId);
    expect(journal.filter((r) => r.type === 'OrderPlaced')).toHaveLength(1);
  });

  it('costs no reads, six conditional appends and two index writes per happy-path order', async () => {
    // The node's first order in a shard also claims the shard (an LWT and a read, once per
    // ownership, src/storage/active-orders.ts): what an order costs is measured on the next one.
    const first = pricedOrder();
    await node.runtime.registry.place(first);
    await node.terminal(first.orderId);
    let order = pricedOrder();
    while (shardOf(order.orderId, 12) !== shardOf(first.orderId, 12)) order = pricedOrder();
    await new Promise((r) => setTimeout(r, 200)); // the first order's index removal is fire-and-forget
    node.counters.reset();
    await node.runtime.registry.place(order);
    await node.terminal(order.orderId);
    await new Promise((r) => setTimeout(r, 200)); // the index removal is fire-and-forget
    expect(node.counters.totals()).toEqual({ read: 0, lwt: 6, write: 2 });
  });
});
