import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutSteps } from '../../src/domain/checkout-steps.js';
import { pricedOrder } from '../support/orders.js';
import { journalOf } from '../../actors/order/journal-of.js';
import { startOrderHarness, type OrderHarness } from '../support/order-harness.js';

/** Steps whose createDelivery waits at a gate: a node "paused" mid-step, like a GC stall or SIGSTOP. */
function gatedDelivery(real: CheckoutSteps) {
  let open!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((r) => { open = r; });
  const atGate = new Promise<void>((r) => { reached = r; });
  const steps: CheckoutSteps = { ...real, createDelivery: async (o, key) => { reached(); await gate; return real.createDelivery(o, key); } };
  return { steps, open, atGate };
}

const waitUntil = async (cond: () => boolean, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const isLinear = (seqs: number[]) => seqs.every((s, i) => s === i + 1);

describe('one writer per order', () => {
  let h: OrderHarness;
  beforeAll(async () => { h = await startOrderHarness('writers', { latency: [{ target: 'fraud.Assess', fixedMs: 150 }] }); });
  afterAll(async () => { await h?.stop(); });

  it('refuses a stale owner that wakes after another node took the order over, and stops it', async () => {
    const gated = gatedDelivery;
    let gate!: ReturnType<typeof gatedDelivery>;
    const stale = h.node('stale', { steps: (real) => (gate = gated(real)).steps });
    const successor = h.node('successor');
    const order = pricedOrder();
    await stale.runtime.registry.place(order);
    await gate.atGate;

    await successor.runtime.registry.get(order.orderId); // takes the order over: recovers and carries on
    expect((await successor.terminal(order.orderId)).status).toBe('COMPLETED');
    const ledgerBefore = await h.ledger(order.orderId);

    gate.open(); // the stale owner wakes, finishes its call, and tries to append its outcome
    await waitUntil(() => stale.fenced.includes(order.orderId), 10_000);

    const journal = await journalOf(h.client, h.keyspace, order.orderId);
    expect(isLinear(journal.map((r) => r.seq))).toBe(true);
    expect(journal.filter((r) => r.seq > 3).every((r) => r.writer === 'successor')).toBe(true);
    expect((await h.ledger(order.orderId)).map((e) => e.operation)).toEqual(ledgerBefore.map((e) => e.operation));
    expect(await h.violations({ [order.orderId]: 'COMPLETED' })).toEqual([]);
    expect(stale.runtime.registry.activeOrderIds()).not.toContain(order.orderId);
  });

  it('keeps one linear history when two live actors race on one order, and stops the loser', async () => {
    let releaseA!: () => void;
    let aInFraud!: () => void;
    const aHeld = new Promise<void>((r) => { releaseA = r; });
    const aReachedFraud = new Promise<void>((r) => { aInFraud = r; });
    const a = h.node('racer-a', {
      steps: (real) => ({ ...real, assessFraud: async (o, key) => { aInFraud(); await aHeld; return real.assessFraud(o, key); } }),
    });
    const b = h.node('racer-b');
    const order = pricedOrder();
    await a.runtime.registry.place(order);
    await aReachedFraud;
    await b.runtime.registry.get(order.orderId); // b recovers while a is inside the fraud step, however slow the machine
    releaseA(); // both actors are now live on one order and race to append the fraud outcome
    await waitUntil(() => a.fenced.length + b.fenced.length > 0, 10_000);
    const winner = a.fenced.includes(order.orderId) ? b : a;
    expect((await winner.terminal(order.orderId)).status).toBe('COMPLETED');
    expect(a.fenced.length + b.fenced.length).toBe(1);
    const journal = await journalOf(h.client, h.keyspace, order.orderId);
    expect(isLinear(journal.map((r) => r.seq))).toBe(true);
    expect(journal.filter((r) => r.type === 'StepSucceeded')).toHaveLength(5);
    expect(await h.violations({ [order.orderId]: 'COMPLETED' })).toEqual([]);
  });
});
