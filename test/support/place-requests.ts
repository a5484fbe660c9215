import { randomUUID } from 'node:crypto';
import type { PlaceOrderRequest } from '../../src/generated/checkout/v1/PlaceOrderRequest.js';

/** A PlaceOrder request the downstream fixtures accept (merchant m-1, two items, an address 1 km away). */
export function placeRequest(consumerId: string, overrides: Partial<PlaceOrderRequest> = {}): PlaceOrderRequest {
  return {
    idempotencyKey: `k-${randomUUID()}`,
    consumerId,
    merchantId: 'm-1',
    lines: [{ itemId: 'm-1-item-1', quantity: 2, note: 'no onions' }, { itemId: 'm-1-item-2', quantity: 1, note: '' }],
    deliveryAddress: { line1: '1 Main St', city: 'New York', postalCode: '10001', country: 'US', lat: 40.72, lng: -74.0 },
    paymentMethodId: 'pm-4242',
    tipMinor: 300,
    ...overrides,
  };
}
