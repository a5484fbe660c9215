import { describe, expect, it } from 'vitest';
import type { PricedOrder } from '../../src/domain/order.js';
import type { PlaceOrderInput } from '../../src/domain/place-order.js';
import { createPlaceOrderFlow } from '../../src/edge/place-order-flow.js';
import type { IdempotencyStore } from '../../src/storage/idempotency-store.js';
import { pino } from 'pino';

/** A store that reserves every key but can never record an outcome (its writes time out). */
const storeThatCannotRecord = (): IdempotencyStore & { completes: number } => {
  const store = {
    completes: 0,
    reserve: async () => ({ kind: 'reserved' as const, reservedAt: Date.now() }),
    complete: async () => { store.completes++; throw new Error('write timeout'); },
    release: async () => undefined,
    read: async () => undefined,
    takeOver: async () => undefined,
    abandon: async () => undefined,
    replaceRejected: async () => undefined,
  };
  return store;
};

const input: PlaceOrderInput = {
  idempotencyKey: 'k-record', consumerId: 'c-record', merchantId: 'm-1', lines: [{ itemId: 'm-1-item-1', quantity: 1, note: '' }],
  address: { line1: '1 Main St', city: 'New York', postalCode: '10001', country: 'US', lat: 40.72, lng: -74.0 }, paymentMethodId: 'pm-4242', tipMinor: 0,
};

const pricedOrder = (req: PlaceOrderInput, orderId: string): PricedOrder => ({
  orderId, consumerId: req.consumerId, merchantId: req.merchantId, paymentMethodId: req.paymentMethodId, currency: 'USD',
  lines: [{ itemId: 'm-1-item-1', name: 'Item', quantity: 1, unitPriceMinor: 800, note: '' }],
  subtotalMinor: 800, deliveryFeeMinor: 200, tipMinor: 0, totalMinor: 1_000, address: { ...req.address }, pickup: { lat: 40.7128, lng: -74.006 }, placedAt: Date.now(),
});

describe('recording an accepted order under its idempotency key', () => {
  it('reports an error naming the order once every retry has failed, instead of giving up silently', async () => {
    const store = storeThatCannotRecord();
    const lines: Array<{ level: number; orderId?: string }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => { lines.push(JSON.parse(line) as { level: number }); } });
    const errors = () => lines.filter((l) => l.level >= 50);
    const flow = createPlaceOrderFlow({
      idempotency: store,
      price: async (req, orderId) => ({ order: pricedOrder(req, orderId) }),
      publishPlace: async () => undefined,
      announce: () => undefined,
      newOrderId: () => 'o-record-1',
      recordRetry: { maxAttempts: 3, backoff: { initialMs: 5, maxMs: 5, multiplier: 1 } },
      logger,
    });
    await flow.place(input);
    await expect.poll(errors, { timeout: 2_000 }).toHaveLength(1);
    expect(store.completes).toBe(3);
    expect(errors()[0]).toMatchObject({ orderId: 'o-record-1' });
  });
});
