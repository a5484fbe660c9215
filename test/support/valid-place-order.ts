import type { Principal } from '../../src/edge/auth.js';
import type { PlaceOrderRequest__Output } from '../../src/generated/checkout/v1/PlaceOrderRequest.js';

/** The principal the validation tests act as. */
export const consumer: Principal = { consumerId: 'c-1', admin: false };

/** A request that passes every rule; tests spoil one part of it. */
export function validRequest(): PlaceOrderRequest__Output {
  return {
    idempotencyKey: 'order-attempt-0001',
    consumerId: 'c-1',
    merchantId: 'm-1',
    lines: [
      { itemId: 'm-1-item-1', quantity: 2, note: 'no onions' },
      { itemId: 'm-1-item-2', quantity: 1, note: '' },
      { itemId: 'm-1-item-3', quantity: 1, note: '' },
    ],
    deliveryAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US', lat: 40.7, lng: -74 },
    paymentMethodId: 'pm-1',
    tipMinor: 300,
  };
}
