import type { EstimatedPart, FallbackTaken } from '../domain/fallbacks.js';
import type { GeoPoint } from '../domain/order.js';
import type { DeliveryQuote__Output } from '../generated/downstream/v1/DeliveryQuote.js';
import type { Merchant__Output } from '../generated/downstream/v1/Merchant.js';
import type { Promotion__Output } from '../generated/downstream/v1/Promotion.js';
import type { FallbackSettings } from '../resilience/fallback-settings.js';

/*
 * The two pricing-time fallbacks as pure rules: what pricing knows when promotions or the
 * delivery quote stayed unavailable past their budget, and what it prices with instead.
 */

/** What the promotion lookup gave: a confirmed answer (maybe "none"), or nothing at all. */
export type PromotionFact = { kind: 'confirmed'; promotion: Promotion__Output } | { kind: 'unavailable'; why: string };

/** What the quote lookup gave; absent when there was no merchant to quote from. */
export type QuoteFact = { kind: 'quoted'; quote: DeliveryQuote__Output } | { kind: 'unavailable'; why: string };

export interface Discount { discountMinor: number; promotionId?: string; fallback?: Omit<FallbackTaken, 'at'> }

/** A confirmed promotion's discount in the order's currency; none at all when it was unavailable. */
export function discountOf(fact: PromotionFact, subtotalMinor: number, currency: string): Discount {
  if (fact.kind === 'unavailable') {
    return {
      discountMinor: 0,
      fallback: { dependency: 'promotions', rule: 'PRICE_WITHOUT_DISCOUNT', detail: `promotions unavailable (${fact.why}): priced without a discount` },
    };
  }
  const p = fact.promotion;
  // A promotion in another currency is not one we can apply honestly: no discount.
  if (!p.found || !p.maxDiscount || p.maxDiscount.currency !== currency) return { discountMinor: 0 };
  const percent = Math.min(100, Math.max(0, p.percentOff));
  const discountMinor = Math.min(Math.floor((subtotalMinor * percent) / 100), p.maxDiscount.minor, subtotalMinor);
  return discountMinor > 0 ? { discountMinor, promotionId: p.promotionId } : { discountMinor: 0 };
}

export interface DeliveryTerms {
  /** For the range check (quoteProblems). */
  quote: DeliveryQuote__Output;
  feeMinor: number;
  feeCurrency: string;
  etaMinutes: number;
  estimated: EstimatedPart[];
  fallback?: Omit<FallbackTaken, 'at'>;
}

/**
 * The quote's terms, or — the quote unavailable and the fallback on — the merchant zone's default
 * fee (never above the cap) and ETA, both marked estimated. The zone's radius still decides the
 * range, by straight-line distance. Undefined when there is no default to fall back to.
 */
export function deliveryTermsOf(fact: QuoteFact, merchant: Merchant__Output, dropoff: GeoPoint, settings: FallbackSettings['deliveryQuote']): DeliveryTerms | undefined {
  if (fact.kind === 'quoted') {
    const q = fact.quote;
    return { quote: q, feeMinor: q.fee?.minor ?? 0, feeCurrency: q.fee?.currency ?? merchant.currency, etaMinutes: q.etaMinutes, estimated: [] };
  }
  const zone = merchant.zone;
  if (!settings.enabled || !zone || !zone.defaultFee || !merchant.location) return undefined;
  const distanceKm = greatCircleKm(merchant.location, dropoff);
  const feeMinor = Math.min(zone.defaultFee.minor, settings.feeCapMinor);
  return {
    quote: { inRange: distanceKm < zone.maxKm, distanceKm, maxKm: zone.maxKm, fee: zone.defaultFee, etaMinutes: zone.defaultEtaMinutes },
    feeMinor,
    feeCurrency: zone.defaultFee.currency,
    etaMinutes: zone.defaultEtaMinutes,
    estimated: ['delivery_fee', 'eta'],
    fallback: {
      dependency: 'delivery_quote', rule: 'ZONE_DEFAULT_DELIVERY',
      detail: `delivery quote unavailable (${fact.why}): zone default fee ${feeMinor} (default ${zone.defaultFee.minor}, cap ${settings.feeCapMinor}) and ETA ${zone.defaultEtaMinutes} min, estimated`,
    },
  };
}

const EARTH_RADIUS_KM = 6371;
const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Haversine distance, as the logistics service measures its range. */
function greatCircleKm(a: GeoPoint, b: GeoPoint): number {
  const h = Math.sin(rad(b.lat - a.lat) / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(rad(b.lng - a.lng) / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
