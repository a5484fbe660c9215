import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutSteps } from '../../src/domain/checkout-steps.js';
import { shardOf } from '../../src/domain/shard-of.js';
import { journalOf, statusFromJournal } from '../../actors/order/journal-of.js';
import { journalProblems } from '../../cluster/local/chaos/chaos-check.js';
import { gate, type Gate } from '../support/gate.js';
import { waitFor } from '../support/poll.js';
import { pricedOrder } from '../support/orders.js';
import { startOrderHarness, type OrderHarness } from '../support/order-harness.js';

/*
 * On real Cassandra: a node gets an order's place command again (redelivered after its shard
 * moved) and guesses the order is new (its actor skips the recovery reads), but the shard leaves
 * the node before that actor reads anything. The guess must leave with the actor: when the shard
 * comes back, the order's next actor there reads the journal. (It used to start empty, take the
 * order for one never placed, unlist it and stop: the order stranded half done.)
 */
const SHARDS = 12; // the harness's shard count
const REVIVE_MS = 300;

describe('an order whose first actor on a node stopped before reading its journal', () => {
  let h: OrderHarness;
  beforeAll(async () => { h = await startOrderHarness('guesswithdrawn'); });
  afterAll(async () => { await h?.stop(); });

  it('is recovered from its journal by its next actor there, and completes with a linear journal', async () => {
    const order = pricedOrder();
    const shard = shardOf(order.orderId, SHARDS);
    const heldAuthorize = (g: Gate) => (real: CheckoutSteps): CheckoutSteps =>
      ({ ...real, authorizePayment: async (o, key) => { await g.pass(); return real.authorizePayment(o, key); } });

    const earlierGate = gate();
    const earlier = h.node('earlier-owner', { steps: heldAuthorize(earlierGate) });
    void earlier.runtime.registry.place(order);
    await earlierGate.atGate; // placed and fraud-checked; its authorization outcome is in flight

    // The node the shard moves to gets the order's place command again (redelivered), and loses
    // the shard before that command's actor appends anything (released on the next turn).
    const ownerGate = gate();
    let releaseOnAdd = true;
    let released = false;
    const owner = h.node('new-owner', {
      steps: heldAuthorize(ownerGate),
      reviveFenced: { afterMs: REVIVE_MS },
      index: (real) => ({
        ...real,
        add: async (s, id, at) => {
          await real.add(s, id, at);
          if (releaseOnAdd) setImmediate(() => { owner.runtime.registry.releaseShard(s); released = true; });
        },
      }),
    });
    void owner.runtime.registry.place(order).catch(() => undefined); // its actor is stopped: the ask times out
    await waitFor('the shard released', () => released, { timeoutMs: 5_000, everyMs: 20 });
    releaseOnAdd = false;
    await waitFor('the order\'s actor stopped', () => !owner.runtime.registry.activeOrderIds().includes(order.orderId), { timeoutMs: 5_000, everyMs: 20 });
    expect((await journalOf(h.client, h.keyspace, order.orderId)).map((r) => r.writer)).toEqual(['earlier-owner', 'earlier-owner']);

    // The shard comes back: the order wakes on the new owner and runs its authorization too.
    await owner.runtime.registry.recoverShard(shard);
    await ownerGate.atGate;
    earlierGate.open(); // the earlier owner's authorization outcome lands late, at seq 3
    await waitFor('the earlier owner\'s authorization journaled', async () => (await journalOf(h.client, h.keyspace, order.orderId)).length >= 3, { timeoutMs: 10_000, everyMs: 20 });
    earlier.runtime.registry.releaseShard(shard);
    ownerGate.open(); // the new owner's append of seq 3 is refused: its actor is fenced

    await waitFor('the order completed', async () => (await statusFromJournal(h.client, h.keyspace, order.orderId)) === 'COMPLETED', { timeoutMs: 15_000, everyMs: 20 });
    const journal = await journalOf(h.client, h.keyspace, order.orderId);
    expect(journalProblems(journal)).toEqual([]);
    expect(owner.fenced).toContain(order.orderId);
    expect(await h.violations({ [order.orderId]: 'COMPLETED' })).toEqual([]);
  }, 40_000);
});
