import { pointAt } from '../../cluster/local/downstream/geo.js';
import type { LatencySpec } from '../../cluster/local/downstream/latency.js';
import { createWorld } from '../../cluster/local/downstream/world.js';
import { FIXTURES } from '../../src/load/demo-world.js';
import type { DeliveryAddress } from '../../src/domain/order.js';
import type { PlaceOrderInput } from '../../src/domain/place-order.js';

const world = createWorld({ now: Date.now });

/** Where the fixture world puts a merchant (CENTER for the special ones, so they too can be in range). */
export const merchantLocation = (merchantId: string) => world.merchant(merchantId)?.location ?? FIXTURES.center;

/** An address `km` north-east of the merchant: the fixture world delivers within 8 km. */
export const addressNear = (merchantId: string, km: number): DeliveryAddress => ({
  line1: '1 Main St', city: 'New York', postalCode: '10001', country: 'US', ...pointAt(merchantLocation(merchantId), km, 45),
});

/** A validated PlaceOrder request that the fixture world accepts; override what a test is about. */
export function placeOrderInput(over: Partial<PlaceOrderInput> = {}): PlaceOrderInput {
  const merchantId = over.merchantId ?? 'm-1';
  return {
    idempotencyKey: 'k-1',
    consumerId: 'c-1',
    merchantId,
    lines: [{ itemId: `${merchantId}-item-1`, quantity: 2, note: '' }],
    address: addressNear(merchantId, 2),
    paymentMethodId: 'pm-1111',
    tipMinor: 0,
    ...over,
  };
}

/*
 * Latencies for the timing tests. The graph's critical path is then merchant → quote
 * (60 + 70 = 130 ms); menu (80), consumer (40) and payment method (50) fit beside it. One at a
 * time the calls add up to 300 ms.
 */
export const FETCH_LATENCY: readonly LatencySpec[] = [
  { target: 'catalog.GetMerchant', fixedMs: 60 },
  { target: 'catalog.GetMenu', fixedMs: 80 },
  { target: 'catalog.GetConsumer', fixedMs: 40 },
  { target: 'catalog.GetPaymentMethod', fixedMs: 50 },
  { target: 'logistics.QuoteDelivery', fixedMs: 70 },
];
export const LATENCY_SUM_MS = 300;
