import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaceOrderInput } from '../../src/domain/place-order.js';
import { createPlaceOrderFlow } from '../../src/edge/place-order-flow.js';
import { createIdempotencyStore } from '../../src/storage/idempotency-store.js';
import { tallyCounters } from '../../src/storage/storage-counters.js';
import { schemaKeyspace } from '../support/journal.js';
import { pricedOrder } from '../support/orders.js';

/*
 * On real Cassandra: an accepted PlaceOrder writes its idempotency key once (the reservation, one
 * LWT) and nothing after; a repeated request with that key, on another node, is answered from
 * the order itself (the node's status view, else the journal), the same order id and total.
 */
describe('an idempotency key of an accepted order', () => {
  let ks: Awaited<ReturnType<typeof schemaKeyspace>>;
  beforeAll(async () => { ks = await schemaKeyspace('idem_once'); });
  afterAll(async () => { await ks?.drop(); });

  const req: PlaceOrderInput = {
    idempotencyKey: `k-once-${Date.now()}`, consumerId: 'c-once', merchantId: 'm-1',
    lines: [{ itemId: 'm-1-item-1', quantity: 1, note: '' }],
    address: { line1: '1 Main St', city: 'New York', postalCode: '10001', country: 'US', lat: 40.72, lng: -74.0 },
    paymentMethodId: 'pm-4242', tipMinor: 0,
  };
  /** Orders whose place command was queued, as every node's status view soon knows them. */
  const queued = new Map<string, { totalMinor: number; currency: string }>();
  const published: string[] = [];
  const nodeFlow = (counters = tallyCounters()) => createPlaceOrderFlow({
    idempotency: createIdempotencyStore({ client: ks.client, keyspace: ks.keyspace, ttlSeconds: 3600, counters }),
    price: async (input, orderId) => ({ order: pricedOrder({ orderId, consumerId: input.consumerId, currency: 'EUR', totalMinor: 1_350 }) }),
    publishPlace: async (order) => { published.push(order.orderId); queued.set(order.orderId, { totalMinor: order.totalMinor, currency: order.currency }); },
    announce: () => undefined,
    findOrder: async (orderId) => queued.get(orderId),
    newOrderId: () => `o-once-${published.length + 1}`,
    pollMs: 20,
    maxWaitMs: 2_000,
  });

  it('is written once, when reserved, and replayed from the order on another node', async () => {
    const counters = tallyCounters();
    const first = await nodeFlow(counters).place(req);
    await new Promise((r) => setTimeout(r, 200)); // room for any write in the background
    expect(counters.totals()).toEqual({ read: 0, write: 0, lwt: 1 });

    const again = await nodeFlow().place(req);
    expect(again).toEqual({ orderId: first.orderId, totalMinor: 1_350, currency: 'EUR', replayed: true });
    expect(published).toEqual([first.orderId]);
  });
});
