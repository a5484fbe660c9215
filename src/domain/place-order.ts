import type { DeliveryAddress } from './order.js';

/** A PlaceOrder request after validation: every field present, in range, trimmed. */
export interface PlaceOrderInput {
  idempotencyKey: string;
  consumerId: string;
  merchantId: string;
  lines: Array<{ itemId: string; quantity: number; note: string }>;
  address: DeliveryAddress;
  paymentMethodId: string;
  tipMinor: number;
}
