import type { EstimatedPart, FallbackTaken } from './fallbacks.js';

/**
 * The order as accepted at the edge: validated, priced, ready to run. Immutable. The optional
 * fields came with the fallbacks; orders journaled before them simply lack them.
 */
export interface PricedOrder {
  orderId: string;
  consumerId: string;
  merchantId: string;
  paymentMethodId: string;
  currency: string;
  lines: PricedLine[];
  subtotalMinor: number;
  /** Confirmed by the promotions service; 0 or absent without one. total = subtotal − discount + fee + tip. */
  discountMinor?: number;
  promotionId?: string;
  deliveryFeeMinor: number;
  /** Minutes, from the quote (or the zone's default when `estimated` says so). */
  etaMinutes?: number;
  tipMinor: number;
  totalMinor: number;
  /** What pricing estimated instead of confirming. */
  estimated?: EstimatedPart[];
  /** The fallbacks pricing took, journaled with the order in OrderPlaced. */
  fallbacks?: FallbackTaken[];
  address: DeliveryAddress;
  pickup: GeoPoint;
  placedAt: number;
}

export interface PricedLine {
  itemId: string;
  name: string;
  quantity: number;
  unitPriceMinor: number;
  note: string;
}

export interface GeoPoint { lat: number; lng: number }

export interface DeliveryAddress extends GeoPoint {
  line1: string;
  city: string;
  postalCode: string;
  country: string;
}

export const ORDER_STATUSES = [
  'PLACED', 'FRAUD_CHECKED', 'PAYMENT_AUTHORIZED', 'DELIVERY_CREATED', 'SENT_TO_MERCHANT',
  'COMPLETED', 'COMPENSATING', 'FAILED', 'CANCELLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
export const isTerminal = (status: OrderStatus | 'NEW'): boolean => status !== 'NEW' && TERMINAL_STATUSES.has(status);
