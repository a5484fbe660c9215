import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutSteps } from '../../src/domain/checkout-steps.js';
import { shardOf } from '../../src/domain/shard-of.js';
import { createActiveOrderIndex } from '../../src/storage/active-orders.js';
import { gate } from '../support/gate.js';
import { pricedOrder } from '../support/orders.js';
import { startOrderHarness, type OrderHarness } from '../support/order-harness.js';

/*
 * On real Cassandra: a node takes a shard while it handles the place command of one of the
 * shard's orders, and its listing finds that order's row (just written) before the order's first
 * event. Its woken actor finds the order NEW; that must not unlist the order, whose command is on
 * its way to that very actor. (It used to: the row was deleted, the order then ran unlisted, and a
 * kill -9 of the node before the order finished left nobody to wake it.)
 */
const SHARDS = 12; // the harness's shard count

describe('a shard listing that races an order\'s place command on the same node', () => {
  let h: OrderHarness;
  beforeAll(async () => { h = await startOrderHarness('listrace'); });
  afterAll(async () => { await h?.stop(); });

  it('keeps the order listed while it runs, and the order completes', async () => {
    const order = pricedOrder();
    const shard = shardOf(order.orderId, SHARDS);
    const held = gate();
    let recoverOnAdd = true;
    const owner = h.node('owner', {
      steps: (real: CheckoutSteps): CheckoutSteps => ({ ...real, authorizePayment: async (o, key) => { await held.pass(); return real.authorizePayment(o, key); } }),
      index: (real) => ({
        ...real,
        add: async (s, id, at) => {
          await real.add(s, id, at);
          // The shard is given to this node right now: its listing finds the row just written.
          if (recoverOnAdd) { recoverOnAdd = false; await owner.runtime.registry.recoverShard(s); }
        },
      }),
    });
    // The place is answered once the order is persisted (it failed on a timeout when its actor was stopped).
    expect((await owner.runtime.registry.place(order)).state.status).not.toBe('NEW');
    await held.atGate; // fraud-checked, the authorization held: the order is under way

    const nextOwner = createActiveOrderIndex({ client: h.client, keyspace: h.keyspace });
    try {
      expect(await nextOwner.list(shard)).toContain(order.orderId);
    } finally {
      nextOwner.release?.(shard);
    }
    held.open();
    expect((await owner.terminal(order.orderId)).status).toBe('COMPLETED');
  }, 30_000);
});
