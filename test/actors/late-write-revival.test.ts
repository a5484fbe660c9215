import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutSteps } from '../../src/domain/checkout-steps.js';
import { shardOf } from '../../src/domain/shard-of.js';
import { journalOf } from '../../actors/order/journal-of.js';
import { gate } from '../support/gate.js';
import { waitFor } from '../support/poll.js';
import { pricedOrder } from '../support/orders.js';
import { startOrderHarness, type OrderHarness } from '../support/order-harness.js';

/*
 * A link heals with an earlier owner's append still in flight: it lands after the shard's new
 * owner recovered the order, takes the position that owner's actor wanted, and fences it. The
 * order is still the new owner's to finish (its shard did not move again).
 */
const SHARDS = 12; // the harness's shard count
const REVIVE_MS = 300;
/** Whether the new owner's group membership confirms its shards (false: it is cut from Kafka). */
let confirmed = true;

/** The earlier owner, held inside its delivery call, and never reaching the merchant (it is released first). */
function earlierOwner(h: OrderHarness) {
  const delivery = gate();
  const node = h.node('earlier-owner', {
    steps: (real): CheckoutSteps => ({
      ...real,
      createDelivery: async (o, key) => { await delivery.pass(); return real.createDelivery(o, key); },
      sendToMerchant: () => new Promise<string>(() => undefined),
    }),
  });
  return { node, delivery };
}

/** The new owner of the shard, held inside the same delivery call until the late write has landed. */
function newOwner(h: OrderHarness) {
  const delivery = gate();
  const node = h.node(`new-owner-${Date.now()}`, {
    reviveFenced: { afterMs: REVIVE_MS, ownershipConfirmedSince: () => confirmed },
    steps: (real): CheckoutSteps => ({ ...real, createDelivery: async (o, key) => { await delivery.pass(); return real.createDelivery(o, key); } }),
  });
  return { node, delivery };
}

/** Runs an order until the new owner's delivery outcome meets the earlier owner's late one. */
async function lateWriteFencesTheNewOwner(h: OrderHarness) {
  const earlier = earlierOwner(h);
  const owner = newOwner(h);
  const order = pricedOrder();
  const shard = shardOf(order.orderId, SHARDS);
  void earlier.node.runtime.registry.place(order);
  await earlier.delivery.atGate;
  await owner.node.runtime.registry.recoverShard(shard); // the shard moved: the new owner wakes the order
  await owner.delivery.atGate;
  earlier.delivery.open(); // the link heals: the earlier owner's delivery outcome lands first
  await waitFor('the earlier owner\'s late delivery outcome journaled', async () => (await journalOf(h.client, h.keyspace, order.orderId)).some((r) => r.type === 'StepSucceeded' && r.writer === 'earlier-owner' && r.seq === 4), { timeoutMs: 10_000, everyMs: 20 });
  earlier.node.runtime.registry.releaseShard(shard);
  owner.delivery.open(); // the new owner's append of the same position is refused: its actor is fenced
  await waitFor('the new owner\'s actor fenced', () => owner.node.fenced.includes(order.orderId), { timeoutMs: 10_000, everyMs: 20 });
  return { order, shard, owner: owner.node };
}

describe('an order fenced by an earlier owner\'s late write', () => {
  let h: OrderHarness;
  beforeAll(async () => { h = await startOrderHarness('revival', { latency: [{ target: 'fraud.Assess', fixedMs: 100 }] }); });
  afterAll(async () => { await h?.stop(); });

  it('is recovered again and finished by the node that still owns its shard', async () => {
    const { order, owner } = await lateWriteFencesTheNewOwner(h);
    // Nobody asks for the order (a read would recover it too): the node must carry it on by itself.
    const captured = async () => (await journalOf(h.client, h.keyspace, order.orderId)).some((r) => r.type === 'StepSucceeded' && r.seq === 6);
    await waitFor('the capture journaled', captured, { timeoutMs: 10_000, everyMs: 20 });
    const journal = await journalOf(h.client, h.keyspace, order.orderId);
    expect(journal.map((r) => r.seq)).toEqual(journal.map((_, i) => i + 1));
    expect(journal.filter((r) => r.seq > 4).every((r) => r.writer === owner.nodeId)).toBe(true);
    expect(await h.violations({ [order.orderId]: 'COMPLETED' })).toEqual([]);
  });

  it('stays stopped once its shard left the node before the revival was due', async () => {
    const { order, shard, owner } = await lateWriteFencesTheNewOwner(h);
    owner.runtime.registry.releaseShard(shard);
    await new Promise((r) => setTimeout(r, REVIVE_MS * 4));
    expect(owner.runtime.registry.activeOrderIds()).not.toContain(order.orderId);
    expect((await journalOf(h.client, h.keyspace, order.orderId)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });

  it('waits while the node cannot confirm it still owns the shard (cut from Kafka), and is recovered once it can', async () => {
    confirmed = false;
    try {
      const { order, owner } = await lateWriteFencesTheNewOwner(h);
      await new Promise((r) => setTimeout(r, REVIVE_MS * 4));
      expect(owner.runtime.registry.activeOrderIds()).not.toContain(order.orderId);
      expect((await journalOf(h.client, h.keyspace, order.orderId)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
      confirmed = true;
      const captured = async () => (await journalOf(h.client, h.keyspace, order.orderId)).some((r) => r.type === 'StepSucceeded' && r.seq === 6);
      await waitFor('the capture journaled', captured, { timeoutMs: 10_000, everyMs: 20 });
    } finally {
      confirmed = true;
    }
  });
});
