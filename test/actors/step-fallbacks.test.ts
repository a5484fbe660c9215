import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { journalOf } from '../../actors/order/journal-of.js';
import type { FaultRule } from '../../src/generated/downstream/v1/FaultRule.js';
import { DEFAULT_FALLBACK_SETTINGS, NO_FALLBACKS } from '../../src/resilience/fallback-settings.js';
import { pricedOrder } from '../support/orders.js';
import { startOrderHarness, type NodeUnderTest, type OrderHarness } from '../support/order-harness.js';

async function counterValue(node: NodeUnderTest, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await node.metrics.getSingleMetric(name)?.get();
  const match = metric?.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return (match ?? []).reduce((sum, v) => sum + v.value, 0);
}

const LIMIT = DEFAULT_FALLBACK_SETTINGS.fraud.maxOrderMinor;
const down = (target: string, orderId: string, extra: Partial<FaultRule> = {}): FaultRule => ({ target, kind: 'UNAVAILABLE', matchOrderId: orderId, ...extra });

describe('step fallbacks, on real Cassandra and the real downstream services', () => {
  let h: OrderHarness;
  let node: NodeUnderTest;
  let strict: NodeUnderTest;
  beforeAll(async () => {
    h = await startOrderHarness('fallbacks');
    node = h.node('node-fb');
    strict = h.node('node-strict', { fallbacks: NO_FALLBACKS });
  });
  afterEach(async () => { await h.downstream.clients.admin.setFaults({ rules: [] }); });
  afterAll(async () => { await h?.stop(); });

  const run = async (on: NodeUnderTest, order: ReturnType<typeof pricedOrder>, rules: FaultRule[]) => {
    await h.downstream.clients.admin.setFaults({ rules });
    await on.runtime.registry.place(order);
    const state = await on.terminal(order.orderId);
    const journal = await journalOf(h.client, h.keyspace, order.orderId);
    return { state, journal, fallbacks: journal.filter((r) => r.type === 'FallbackTaken').map((r) => r.event) };
  };

  it('fraud down past its budget: an order under the limit goes on unassessed, with one FallbackTaken journaled', async () => {
    const order = pricedOrder({ totalMinor: LIMIT - 1 });
    const { state, fallbacks } = await run(node, order, [down('fraud.Assess', order.orderId)]);
    expect(state.status).toBe('COMPLETED');
    expect(fallbacks).toMatchObject([{ type: 'FallbackTaken', step: 'fraud', dependency: 'fraud', rule: 'ALLOW_SMALL_ORDER_UNCHECKED', then: 'proceed' }]);
    const ledger = await h.ledger(order.orderId);
    expect(ledger.map((e) => e.operation)).not.toContain('fraud.Assess');
    expect(await h.violations({ [order.orderId]: 'COMPLETED' })).toEqual([]);
  });

  it('fraud down past its budget: an order above the limit fails with a retryable reason and nets zero money', async () => {
    const order = pricedOrder({ totalMinor: LIMIT + 1 });
    const { state, fallbacks } = await run(node, order, [down('fraud.Assess', order.orderId)]);
    expect(state.status).toBe('FAILED');
    expect(state.compensation).toMatchObject({ reason: 'FRAUD_UNAVAILABLE', failedStep: 'fraud' });
    expect(state.compensation?.message).toContain('try again in a few minutes');
    expect(fallbacks).toEqual([]);
    expect((await h.ledger(order.orderId)).filter((e) => e.operation.startsWith('payments.'))).toEqual([]);
    expect(await h.violations({ [order.orderId]: 'FAILED' })).toEqual([]);
  });

  it('fraud down with the fallback switched off: even a small order fails (the fallback is what saves it)', async () => {
    const order = pricedOrder({ totalMinor: LIMIT - 1 });
    const { state, fallbacks } = await run(strict, order, [down('fraud.Assess', order.orderId)]);
    expect(state.status).toBe('FAILED');
    expect(state.compensation?.reason).toBe('FRAUD_UNAVAILABLE');
    expect(fallbacks).toEqual([]);
  });

  it('fraud up: no fallback, the assessment is in the ledger', async () => {
    const order = pricedOrder({ totalMinor: LIMIT - 1 });
    const { state, fallbacks } = await run(node, order, []);
    expect(state.status).toBe('COMPLETED');
    expect(fallbacks).toEqual([]);
    expect(state.fallbacks).toEqual([]);
    expect((await h.ledger(order.orderId)).map((e) => e.operation)).toContain('fraud.Assess');
  });

  it('a fraud refusal is final: never a fallback for a definitive no', async () => {
    const order = pricedOrder({ consumerId: 'c-fraud', totalMinor: 100 });
    const { state, fallbacks } = await run(node, order, []);
    expect(state.status).toBe('FAILED');
    expect(state.compensation?.reason).toBe('FRAUD_REJECTED');
    expect(fallbacks).toEqual([]);
  });

  it('merchant tablet down past its budget: the order is phoned through, opening exactly one ticket', async () => {
    const order = pricedOrder();
    const { state, journal } = await run(node, order, [down('merchant.SendOrder', order.orderId)]);
    expect(state.status).toBe('COMPLETED');
    const types = journal.map((r) => (r.event.type === 'StepSucceeded' ? r.event.step : r.type));
    expect(types).toEqual(['OrderPlaced', 'fraud', 'authorize', 'delivery', 'FallbackTaken', 'merchant', 'capture']);
    expect(journal.find((r) => r.type === 'FallbackTaken')?.event).toMatchObject({ dependency: 'merchant_tablet', rule: 'PHONE_CHANNEL', then: 'second-channel' });
    const tickets = (await h.ledger(order.orderId)).filter((e) => e.operation === 'merchant.SendOrder');
    expect(tickets.map((e) => e.refId)).toEqual([expect.stringMatching(/-by-phone$/)]);
    expect(await h.violations({ [order.orderId]: 'COMPLETED' })).toEqual([]);
  });

  it('a tablet that took the order but never answered: the phone channel gets the same ticket back, not a second one', async () => {
    const order = pricedOrder();
    const { state } = await run(node, order, [down('merchant.SendOrder', order.orderId, { kind: 'DEADLINE_EXCEEDED', applyThenFail: true })]);
    expect(state.status).toBe('COMPLETED');
    const tickets = (await h.ledger(order.orderId)).filter((e) => e.operation === 'merchant.SendOrder');
    expect(tickets).toHaveLength(1);
    expect(tickets[0]?.refId).not.toMatch(/-by-phone$/);
    expect(state.completed.merchant?.resultId).toBe(tickets[0]?.refId);
    expect(await h.violations({ [order.orderId]: 'COMPLETED' })).toEqual([]);
  });

  it('both merchant channels down: the order fails cleanly, its delivery and authorization undone', async () => {
    const order = pricedOrder();
    const { state, fallbacks } = await run(node, order, [down('merchant.SendOrder', order.orderId), down('merchant.PhoneOrder', order.orderId)]);
    expect(state.status).toBe('FAILED');
    expect(state.compensation?.reason).toBe('MERCHANT_UNAVAILABLE');
    expect(fallbacks).toHaveLength(1);
    expect(await h.violations({ [order.orderId]: 'FAILED' })).toEqual([]);
  });

  it('merchant tablet down with the phone channel switched off: the order fails', async () => {
    const order = pricedOrder();
    const { state, fallbacks } = await run(strict, order, [down('merchant.SendOrder', order.orderId)]);
    expect(state.status).toBe('FAILED');
    expect(fallbacks).toEqual([]);
    expect(await h.violations({ [order.orderId]: 'FAILED' })).toEqual([]);
  });

  for (const [step, target] of [['authorize', 'payments.Authorize'], ['delivery', 'logistics.CreateDelivery'], ['capture', 'payments.Capture']] as const) {
    it(`never falls back for the critical ${step} step: down past its budget, the order fails and nets zero`, async () => {
      const order = pricedOrder({ totalMinor: 100 });
      const { state, fallbacks } = await run(node, order, [down(target, order.orderId)]);
      expect(state.status).toBe('FAILED');
      expect(state.compensation?.failedStep).toBe(step);
      expect(fallbacks).toEqual([]);
      expect(await h.violations({ [order.orderId]: 'FAILED' })).toEqual([]);
    });
  }

  it('counts each fallback by dependency, and a completed order that took one as saved by fallback (not by retry)', async () => {
    const before = {
      fraud: await counterValue(node, 'checkout_fallbacks_total', { dependency: 'fraud' }),
      saved: await counterValue(node, 'checkout_orders_saved_by_fallback_total'),
    };
    const order = pricedOrder({ totalMinor: 500 });
    const { state } = await run(node, order, [down('fraud.Assess', order.orderId)]);
    expect(state.status).toBe('COMPLETED');
    expect(state.retried).toBe(false);
    expect(await counterValue(node, 'checkout_fallbacks_total', { dependency: 'fraud' })).toBe(before.fraud + 1);
    expect(await counterValue(node, 'checkout_orders_saved_by_fallback_total')).toBe(before.saved + 1);
  });
});
