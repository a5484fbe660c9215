import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OrderState } from '../../actors/order/order-state.js';
import { isTerminal } from '../../src/domain/order.js';
import { createActiveOrderIndex } from '../../src/storage/active-orders.js';
import { startOrderHarness, type OrderHarness } from '../support/order-harness.js';
import { pricedOrder } from '../support/orders.js';

/*
 * A node can die between persisting an order's last event and announcing it on `order-events`.
 * Then nobody may forget the order: it stays in its shard's index, and the next owner's recovery
 * announces its final state, so watchers waiting for it do not wait forever.
 */
describe('a finished order whose status was never announced', () => {
  let h: OrderHarness;
  beforeAll(async () => { h = await startOrderHarness('announce'); });
  afterAll(async () => { await h?.stop(); });

  it('stays in its shard index, and the next owner announces its final state, then unlists it', async () => {
    const order = pricedOrder({ orderId: `o-${randomUUID()}` });
    const index = createActiveOrderIndex({ client: h.client, keyspace: h.keyspace });
    // The first owner persists every step but its announcements never complete (it is dying).
    const dying = h.node('dying', { announce: () => new Promise<void>(() => undefined) });
    await dying.runtime.registry.place(order);
    const final = await dying.terminal(order.orderId);
    expect(final.status).toBe('COMPLETED');
    const shard = dying.runtime.shardOf(order.orderId);
    await new Promise((r) => setTimeout(r, 300));
    expect(await index.list(shard)).toContain(order.orderId);

    const announced: Array<{ orderId: string; state: OrderState }> = [];
    const next = h.node('next-owner', { announce: async (orderId, state) => { announced.push({ orderId, state }); } });
    await next.runtime.registry.recoverShard(shard);
    await vi.waitFor(() => expect(announced.filter((a) => a.orderId === order.orderId && isTerminal(a.state.status)).map((a) => a.state.status)).toEqual(['COMPLETED']), { timeout: 10_000 });
    await vi.waitFor(async () => expect(await index.list(shard)).not.toContain(order.orderId), { timeout: 10_000 });
  });
});
