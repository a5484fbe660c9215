import type { PricedOrder } from './order.js';

/**
 * The downstream calls an order's steps make, each under its idempotency key (and, for the
 * dependent ones, the key of the call they build on). The order actors run them through
 * `actors/order/checkout-flow.ts`; `src/clients/grpc-checkout-steps.ts` makes them over gRPC.
 */
export interface CheckoutSteps {
  assessFraud(order: PricedOrder, key: string): Promise<string>;
  authorizePayment(order: PricedOrder, key: string): Promise<string>;
  createDelivery(order: PricedOrder, key: string): Promise<string>;
  sendToMerchant(order: PricedOrder, key: string): Promise<string>;
  /** The second channel to the restaurant (phoned through), under the same key as sendToMerchant. */
  phoneOrderToMerchant(order: PricedOrder, key: string): Promise<string>;
  capturePayment(order: PricedOrder, key: string, authorizeKey: string): Promise<string>;
  voidAuthorization(order: PricedOrder, key: string, authorizeKey: string): Promise<void>;
  cancelDelivery(order: PricedOrder, key: string, deliveryKey: string): Promise<void>;
  cancelTicket(order: PricedOrder, key: string, ticketKey: string): Promise<void>;
  refundCapture(order: PricedOrder, key: string, captureKey: string): Promise<void>;
}

export type StepName = 'fraud' | 'authorize' | 'delivery' | 'merchant' | 'capture';
