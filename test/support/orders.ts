import { randomUUID } from 'node:crypto';
import type { PricedOrder } from '../../src/domain/order.js';

/** A priced order as the edge would hand it to the order actor; override what a test cares about. */
export function pricedOrder(overrides: Partial<PricedOrder> = {}): PricedOrder {
  const orderId = overrides.orderId ?? `o-${randomUUID()}`;
  return {
    orderId,
    consumerId: 'c-1',
    merchantId: 'm-1',
    paymentMethodId: 'pm-4242',
    currency: 'USD',
    lines: [{ itemId: 'm-1-i-1', name: 'Dumplings', quantity: 2, unitPriceMinor: 850, note: '' }],
    subtotalMinor: 1700,
    deliveryFeeMinor: 299,
    tipMinor: 200,
    totalMinor: 2199,
    address: { line1: '1 Main St', city: 'Springfield', postalCode: '10001', country: 'US', lat: 40.75, lng: -73.99 },
    pickup: { lat: 40.74, lng: -73.98 },
    placedAt: Date.now(),
    ...overrides,
  };
}
