import { randomUUID } from 'node:crypto';
import { FIXTURES } from './demo-world.js';
import type { PlaceOrderRequest } from '../generated/checkout/v1/PlaceOrderRequest.js';

/*
 * PlaceOrder requests the downstream world accepts (src/load/demo-world.ts): merchants m-1 …
 * m-50, their items <m>-item-1 … -5, any c-… consumer with a pm-… card, and a delivery address
 * near the world's centre, within range of every merchant. Tests, the CLI and the demo load
 * build their orders here.
 */

/** About 1 km from the world's centre: within delivery range of every m-<n> merchant. */
export const DEMO_ADDRESS = { line1: '1 Main St', city: 'New York', postalCode: '10001', country: 'US', lat: 40.72, lng: -74.0 } as const;

export const DEMO_PAYMENT_METHOD = 'pm-4242';

/** A PlaceOrder request the downstream fixtures accept (merchant m-1, two items, an address 1 km away). */
export function placeRequest(consumerId: string, overrides: Partial<PlaceOrderRequest> = {}): PlaceOrderRequest {
  return {
    idempotencyKey: `k-${randomUUID()}`,
    consumerId,
    merchantId: 'm-1',
    lines: [{ itemId: 'm-1-item-1', quantity: 2, note: 'no onions' }, { itemId: 'm-1-item-2', quantity: 1, note: '' }],
    deliveryAddress: { ...DEMO_ADDRESS },
    paymentMethodId: DEMO_PAYMENT_METHOD,
    tipMinor: 300,
    ...overrides,
  };
}

/** The consumers a load spreads its orders over: c-load-1 … c-load-<n>. */
export function demoConsumers(count: number, prefix = 'c-load'): string[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`consumers must be a whole number >= 1, got ${count}`);
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
}

/** The `index`-th order of a load: merchants, items and quantities vary, every order is valid. */
export function demoPlaceRequest(index: number, consumerId: string): PlaceOrderRequest {
  const merchantId = `m-${(index % FIXTURES.merchantCount) + 1}`;
  const first = (index % FIXTURES.menuItemCount) + 1;
  const second = ((index + 2) % FIXTURES.menuItemCount) + 1;
  return placeRequest(consumerId, {
    merchantId,
    lines: [
      { itemId: `${merchantId}-item-${first}`, quantity: 1 + (index % 3), note: '' },
      { itemId: `${merchantId}-item-${second}`, quantity: 1, note: '' },
    ],
    tipMinor: 100 * (index % 4),
  });
}
