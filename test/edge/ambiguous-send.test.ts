import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/domain/errors.js';
import type { PricedOrder } from '../../src/domain/order.js';
import type { PlaceOrderInput } from '../../src/domain/place-order.js';
import { createPlaceOrderFlow } from '../../src/edge/place-order-flow.js';
import { createIdempotencyStore, type IdempotencyStore } from '../../src/storage/idempotency-store.js';
import { schemaKeyspace } from '../support/journal.js';

/*
 * A Kafka send that fails may still have been written (the ack was lost). The client is told to
 * retry; that retry must place the very order id the failed send carried, so the order's owner
 * sees a duplicate command for one order, never a second order.
 */
describe('a PlaceOrder whose Kafka send failed', () => {
  let ks: Awaited<ReturnType<typeof schemaKeyspace>>;
  let store: IdempotencyStore;
  beforeAll(async () => {
    ks = await schemaKeyspace('idem_ambiguous');
    store = createIdempotencyStore({ client: ks.client, keyspace: ks.keyspace, ttlSeconds: 3600 });
  });
  afterAll(async () => { await ks?.drop(); });

  let n = 0;
  const input = (): PlaceOrderInput => ({
    idempotencyKey: `k-ambiguous-${++n}-${Date.now()}`, consumerId: 'c-ambiguous', merchantId: 'm-1',
    lines: [{ itemId: 'm-1-item-1', quantity: 1, note: '' }],
    address: { line1: '1 Main St', city: 'New York', postalCode: '10001', country: 'US', lat: 40.72, lng: -74.0 },
    paymentMethodId: 'pm-4242', tipMinor: 0,
  });

  /** A broker that writes every command it is sent but loses the ack of the first one. */
  const flowWithLostAck = () => {
    const written: string[] = [];
    let ids = 0;
    const flow = createPlaceOrderFlow({
      idempotency: store,
      price: async (req, orderId) => {
        const order: PricedOrder = {
          orderId, consumerId: req.consumerId, merchantId: 'm-1', paymentMethodId: 'pm-4242', currency: 'USD',
          lines: [{ itemId: 'm-1-item-1', name: 'Item', quantity: 1, unitPriceMinor: 800, note: '' }],
          subtotalMinor: 800, deliveryFeeMinor: 200, tipMinor: 0, totalMinor: 1_000,
          address: { ...req.address }, pickup: { lat: 40.7128, lng: -74.006 }, placedAt: Date.now(),
        };
        return { order };
      },
      publishPlace: async (order) => {
        written.push(order.orderId);
        if (written.length === 1) throw new Error('request timed out (the broker wrote it anyway)');
      },
      announce: () => undefined,
      findOrder: async () => undefined, // its owner has not persisted the order yet: not known to exist
      newOrderId: () => `o-ambiguous-${n}-${++ids}`,
      pollMs: 20,
      maxWaitMs: 2_000,
    });
    return { flow, written };
  };

  it('tells the client to retry, and the retry with the same key places the same order id', async () => {
    const req = input();
    const { flow, written } = flowWithLostAck();
    await expect(flow.place(req)).rejects.toBeInstanceOf(TransientError);
    const retried = await flow.place(req);
    expect(written).toHaveLength(2);
    expect(new Set(written).size).toBe(1);
    expect(retried.orderId).toBe(written[0]);
  });

  it('keeps the key reserved for that order id after the failed send', async () => {
    const req = input();
    const { flow, written } = flowWithLostAck();
    await flow.place(req).catch(() => undefined);
    expect(await store.read(req.consumerId, req.idempotencyKey)).toMatchObject({ kind: 'taken', orderId: written[0] });
  });

  it('refuses a different request under that key, since its order may exist', async () => {
    const req = input();
    const { flow } = flowWithLostAck();
    await flow.place(req).catch(() => undefined);
    const err = await flow.place({ ...req, tipMinor: 500 }).catch((e: unknown) => e);
    expect((err as { reason?: string }).reason).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});

describe('a PlaceOrder that joins a running call with the same key on the same node', () => {
  let ks: Awaited<ReturnType<typeof schemaKeyspace>>;
  beforeAll(async () => { ks = await schemaKeyspace('idem_joined'); });
  afterAll(async () => { await ks?.drop(); });

  it('places the order itself when the first caller cancels, instead of inheriting its abort', async () => {
    const store = createIdempotencyStore({ client: ks.client, keyspace: ks.keyspace, ttlSeconds: 3600 });
    const req: PlaceOrderInput = {
      idempotencyKey: `k-joined-${Date.now()}`, consumerId: 'c-joined', merchantId: 'm-1',
      lines: [{ itemId: 'm-1-item-1', quantity: 1, note: '' }],
      address: { line1: '1 Main St', city: 'New York', postalCode: '10001', country: 'US', lat: 40.72, lng: -74.0 },
      paymentMethodId: 'pm-4242', tipMinor: 0,
    };
    const published: string[] = [];
    const flow = createPlaceOrderFlow({
      idempotency: store,
      // Pricing takes a while and stops when its caller goes away, as the real one does.
      price: (input, orderId, opts) => new Promise((resolve, reject) => {
        const aborted = () => reject(new DOMException('This operation was aborted', 'AbortError'));
        if (opts?.signal?.aborted) return aborted();
        const timer = setTimeout(() => resolve({ order: {
          orderId, consumerId: input.consumerId, merchantId: 'm-1', paymentMethodId: 'pm-4242', currency: 'USD',
          lines: [{ itemId: 'm-1-item-1', name: 'Item', quantity: 1, unitPriceMinor: 800, note: '' }],
          subtotalMinor: 800, deliveryFeeMinor: 200, tipMinor: 0, totalMinor: 1_000,
          address: { ...input.address }, pickup: { lat: 40.7128, lng: -74.006 }, placedAt: Date.now(),
        } }), 200);
        opts?.signal?.addEventListener('abort', () => { clearTimeout(timer); aborted(); });
      }),
      publishPlace: async (order) => { published.push(order.orderId); },
      announce: () => undefined,
      findOrder: async () => undefined,
      newOrderId: () => `o-joined-${Date.now()}`,
      pollMs: 20,
      maxWaitMs: 2_000,
    });
    const firstCaller = new AbortController();
    const first = flow.place(req, firstCaller.signal);
    const second = flow.place(req);
    firstCaller.abort();
    await expect(first).rejects.toThrow(/aborted/);
    const accepted = await second;
    expect(published).toEqual([accepted.orderId]);
  });
});
