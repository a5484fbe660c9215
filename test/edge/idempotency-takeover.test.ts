import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/domain/errors.js';
import type { PricedOrder } from '../../src/domain/order.js';
import type { PlaceOrderInput } from '../../src/domain/place-order.js';
import { createPlaceOrderFlow, requestHash } from '../../src/edge/place-order-flow.js';
import { createIdempotencyStore, type IdempotencyStore } from '../../src/storage/idempotency-store.js';
import { schemaKeyspace } from '../support/journal.js';

/*
 * A PlaceOrder whose node dies after reserving its key leaves the key reserved with no outcome.
 * A client retrying with the same key (as it must) takes it over once it is stale, and gets the
 * order id the dead request reserved, so an order that request may already have queued is the
 * one placed, never a second one.
 */
describe('an idempotency key left behind by a request that died', () => {
  let ks: Awaited<ReturnType<typeof schemaKeyspace>>;
  let store: IdempotencyStore;
  /** The dead request's node: its clock is a minute behind, so its reservation is long stale. */
  let deadNodeStore: IdempotencyStore;
  beforeAll(async () => {
    ks = await schemaKeyspace('idem_takeover');
    store = createIdempotencyStore({ client: ks.client, keyspace: ks.keyspace, ttlSeconds: 3600 });
    deadNodeStore = createIdempotencyStore({ client: ks.client, keyspace: ks.keyspace, ttlSeconds: 3600, clock: () => Date.now() - 60_000 });
  });
  afterAll(async () => { await ks?.drop(); });

  let n = 0;
  const input = (): PlaceOrderInput => ({
    idempotencyKey: `k-takeover-${++n}-${Date.now()}`, consumerId: 'c-takeover', merchantId: 'm-1',
    lines: [{ itemId: 'm-1-item-1', quantity: 1, note: '' }],
    address: { line1: '1 Main St', city: 'New York', postalCode: '10001', country: 'US', lat: 40.72, lng: -74.0 },
    paymentMethodId: 'pm-4242', tipMinor: 0,
  });
  /** Orders whose place command was queued, as every node's status view soon knows them. */
  const queued = new Map<string, { totalMinor: number; currency: string }>();
  const flowOn = (opts: { price?: () => Promise<void>; maxWaitMs?: number } = {}) => {
    const published: string[] = [];
    const flow = createPlaceOrderFlow({
      idempotency: store,
      price: async (_input, orderId) => {
        await opts.price?.();
        const order: PricedOrder = {
          orderId, consumerId: 'c-takeover', merchantId: 'm-1', paymentMethodId: 'pm-4242', currency: 'USD',
          lines: [{ itemId: 'm-1-item-1', name: 'Item', quantity: 1, unitPriceMinor: 800, note: '' }],
          subtotalMinor: 800, deliveryFeeMinor: 200, tipMinor: 0, totalMinor: 1_000,
          address: { line1: '1 Main St', city: 'New York', postalCode: '10001', country: 'US', lat: 40.72, lng: -74.0 },
          pickup: { lat: 40.7128, lng: -74.006 }, placedAt: Date.now(),
        };
        return { order };
      },
      publishPlace: async (order) => { published.push(order.orderId); queued.set(order.orderId, { totalMinor: order.totalMinor, currency: order.currency }); },
      announce: () => undefined,
      findOrder: async (orderId) => queued.get(orderId),
      newOrderId: () => `o-new-${n}`,
      pollMs: 20,
      maxWaitMs: opts.maxWaitMs ?? 2_000,
      staleAfterMs: 15_000,
    });
    return { flow, published };
  };

  it('is taken over by a retry with the same key, which places the order id the dead request reserved', async () => {
    const req = input();
    await deadNodeStore.reserve(req.consumerId, req.idempotencyKey, requestHash(req), 'o-dead-1');
    const { flow, published } = flowOn();
    const answer = await flow.place(req);
    expect(answer.orderId).toBe('o-dead-1');
    expect(published).toEqual(['o-dead-1']);
  });

  it('is not taken over while its request may still be running', async () => {
    const req = input();
    await store.reserve(req.consumerId, req.idempotencyKey, requestHash(req), 'o-live');
    const { flow, published } = flowOn({ maxWaitMs: 300 });
    const err = await flow.place(req).catch((e: unknown) => e);
    expect((err as { reason?: string }).reason).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    expect(published).toEqual([]);
  });

  it('is taken over by one of two racing retries; the other replays its answer', async () => {
    const req = input();
    await deadNodeStore.reserve(req.consumerId, req.idempotencyKey, requestHash(req), 'o-dead-2');
    const a = flowOn();
    const b = flowOn();
    const answers = await Promise.all([a.flow.place(req), b.flow.place(req)]);
    expect(answers.map((x) => x.orderId)).toEqual(['o-dead-2', 'o-dead-2']);
    expect([...a.published, ...b.published]).toEqual(['o-dead-2']);
  });

  it('stays reserved for its order id when the retry that took it over fails transiently', async () => {
    const req = input();
    await deadNodeStore.reserve(req.consumerId, req.idempotencyKey, requestHash(req), 'o-dead-3');
    const { flow } = flowOn({ price: async () => { throw new TransientError('catalog unavailable'); } });
    await expect(flow.place(req)).rejects.toBeInstanceOf(TransientError);
    expect(await store.read(req.consumerId, req.idempotencyKey)).toMatchObject({ kind: 'taken', orderId: 'o-dead-3' });
  });
});
