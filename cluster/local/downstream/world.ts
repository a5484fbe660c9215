import type { FaultSpec } from './faults.js';
import { FIXTURES } from '../../../src/load/demo-world.js';
import { distanceKm, type GeoPoint } from './geo.js';

/* The simulators' world: the facts every fixture id stands for (src/load/demo-world.ts names them). */

/** Fatal business outcomes that hold unless a Reset clears them (see ResetRequest). */
export const DEFAULT_FAULT_RULES: readonly FaultSpec[] = [
  { target: 'payments.Authorize', kind: 'CARD_DECLINED', match: { cardLast4: FIXTURES.declinedCardLast4 } },
  { target: 'fraud.Assess', kind: 'FRAUD_REJECTED', match: { consumerId: FIXTURES.fraudConsumer } },
  { target: 'logistics.CreateDelivery', kind: 'NO_COURIER', match: { postalCode: FIXTURES.noCourierPostalCode } },
  { target: 'merchant.SendOrder', kind: 'MERCHANT_REJECTED', match: { merchantId: FIXTURES.rejectingMerchant } },
];

export interface MerchantFacts {
  merchantId: string;
  name: string;
  open: boolean;
  acceptingOrders: boolean;
  /** Epoch ms of the next opening when closed, else 0. */
  opensAt: number;
  currency: string;
  location: GeoPoint;
  zone: ZoneFacts;
}

export interface MenuItemFacts {
  itemId: string;
  name: string;
  priceMinor: number;
  available: boolean;
}

export interface ZoneFacts {
  defaultFeeMinor: number;
  defaultEtaMinutes: number;
  maxKm: number;
}

export interface PromotionFacts {
  promotionId: string;
  percentOff: number;
  maxDiscountMinor: number;
}

export interface ConsumerFacts {
  consumerId: string;
  name: string;
  blocked: boolean;
}

export interface PaymentMethodFacts {
  paymentMethodId: string;
  consumerId: string;
  brand: string;
  last4: string;
  expired: boolean;
}

export interface QuoteFacts {
  inRange: boolean;
  distanceKm: number;
  maxKm: number;
  feeMinor: number;
  etaMinutes: number;
}

export interface World {
  merchant(merchantId: string): MerchantFacts | undefined;
  menu(merchantId: string): MenuItemFacts[] | undefined;
  consumer(consumerId: string): ConsumerFacts | undefined;
  paymentMethod(consumerId: string, paymentMethodId: string): PaymentMethodFacts | undefined;
  quote(pickup: GeoPoint, dropoff: GeoPoint): QuoteFacts;
  promotion(consumerId: string, merchantId: string): PromotionFacts | undefined;
}

/** The ids m-1 … m-50 of the ordinary merchants, for load generators. */
export const ordinaryMerchantIds = (): string[] =>
  Array.from({ length: FIXTURES.merchantCount }, (_, i) => `m-${i + 1}`);

export const menuItemId = (merchantId: string, k: number): string => `${merchantId}-item-${k}`;
export const soldOutItemId = (merchantId: string): string => `${merchantId}-sold-out`;

/** The card last4 the world derives from a payment method id (see the rules above). */
export function cardLast4(paymentMethodId: string): string {
  const tail = paymentMethodId.slice(-4);
  return /^\d{4}$/.test(tail) ? tail : FIXTURES.defaultCardLast4;
}

const HOUR_MS = 3_600_000;

const ZONE: ZoneFacts = Object.freeze({
  defaultFeeMinor: FIXTURES.zoneDefaultFeeMinor, defaultEtaMinutes: FIXTURES.zoneDefaultEtaMinutes, maxKm: FIXTURES.maxDeliveryKm,
});

/** `now` is injected so a closed merchant's opening time is reproducible in tests. */
export function createWorld(deps: { now: () => number }): World {
  const special = (merchantId: string, name: string, open: boolean, accepting: boolean): MerchantFacts => ({
    merchantId,
    name,
    open,
    acceptingOrders: accepting,
    opensAt: open ? 0 : (Math.floor(deps.now() / HOUR_MS) + 1) * HOUR_MS,
    currency: FIXTURES.currency,
    location: FIXTURES.center,
    zone: ZONE,
  });

  const merchant = (merchantId: string): MerchantFacts | undefined => {
    if (merchantId === FIXTURES.closedMerchant) return special(merchantId, 'Closed Kitchen', false, false);
    if (merchantId === FIXTURES.pausedMerchant) return special(merchantId, 'Paused Diner', true, false);
    if (merchantId === FIXTURES.rejectingMerchant) return special(merchantId, 'Grumpy Grill', true, true);
    const n = ordinaryNumber(merchantId);
    if (n === undefined) return undefined;
    return {
      merchantId,
      name: `Merchant ${n}`,
      open: true,
      acceptingOrders: true,
      opensAt: 0,
      currency: FIXTURES.currency,
      location: gridPoint(n),
      zone: ZONE,
    };
  };

  const consumer = (consumerId: string): ConsumerFacts | undefined => {
    if (!consumerId.startsWith('c-') || consumerId.startsWith(FIXTURES.missingConsumerPrefix)) return undefined;
    return { consumerId, name: `Consumer ${consumerId.slice(2)}`, blocked: consumerId === FIXTURES.blockedConsumer };
  };

  return {
    merchant,
    consumer,
    menu(merchantId) {
      if (!merchant(merchantId)) return undefined;
      const items: MenuItemFacts[] = Array.from({ length: FIXTURES.menuItemCount }, (_, i) => ({
        itemId: menuItemId(merchantId, i + 1),
        name: `Dish ${i + 1}`,
        priceMinor: 399 + 100 * (i + 1),
        available: true,
      }));
      items.push({ itemId: soldOutItemId(merchantId), name: 'Yesterday\'s special', priceMinor: 999, available: false });
      return items;
    },
    paymentMethod(consumerId, paymentMethodId) {
      if (!consumer(consumerId)) return undefined;
      if (!paymentMethodId.startsWith('pm-') || paymentMethodId.startsWith(FIXTURES.missingPaymentMethodPrefix)) return undefined;
      return {
        paymentMethodId,
        consumerId,
        brand: 'visa',
        last4: cardLast4(paymentMethodId),
        expired: paymentMethodId === FIXTURES.expiredPaymentMethod,
      };
    },
    promotion(consumerId, merchantId) {
      const n = ordinaryNumber(merchantId);
      if (!consumer(consumerId) || n === undefined || n < FIXTURES.firstPromotedMerchant) return undefined;
      return { ...FIXTURES.promotion };
    },
    quote(pickup, dropoff) {
      const km = distanceKm(pickup, dropoff);
      return {
        inRange: km < FIXTURES.maxDeliveryKm,
        distanceKm: km,
        maxKm: FIXTURES.maxDeliveryKm,
        feeMinor: 199 + Math.round(km * 50),
        etaMinutes: 15 + Math.ceil(km * 3),
      };
    },
  };
}

function ordinaryNumber(merchantId: string): number | undefined {
  const m = /^m-([1-9]\d*)$/.exec(merchantId);
  const n = m ? Number(m[1]) : NaN;
  return n >= 1 && n <= FIXTURES.merchantCount ? n : undefined;
}

// Ten columns by five rows, about 1.1 km apart: every ordinary merchant is a short ride from CENTER.
function gridPoint(n: number): GeoPoint {
  const row = Math.floor((n - 1) / 10);
  const col = (n - 1) % 10;
  return { lat: FIXTURES.center.lat + (row - 2) * 0.01, lng: FIXTURES.center.lng + (col - 4.5) * 0.013 };
}
