import type { StepName } from './checkout-steps.js';

/*
 * Default fallbacks: when a non-critical dependency stays unavailable past its retry budget, the
 * order goes on with a documented default instead of failing. Each one is recorded in the order
 * (pricing's in the priced order, a step's as its own journal event), so recovery replays the
 * decision and never takes it again, and the customer and operations can see what was assumed.
 */

/** What was unavailable, as the `dependency` label of checkout_fallbacks_total says it. */
export const FALLBACK_DEPENDENCIES = ['promotions', 'delivery_quote', 'fraud', 'merchant_tablet'] as const;
export type FallbackDependency = (typeof FALLBACK_DEPENDENCIES)[number];

/** The business rule applied instead, one per dependency. */
export type FallbackRule =
  /** promotions: price with no discount; never a discount the service did not confirm. */
  | 'PRICE_WITHOUT_DISCOUNT'
  /** delivery_quote: the merchant zone's default fee (capped) and ETA, both marked estimated. */
  | 'ZONE_DEFAULT_DELIVERY'
  /** fraud: an order under the configured amount goes on unassessed. */
  | 'ALLOW_SMALL_ORDER_UNCHECKED'
  /** merchant_tablet: the order is phoned through to the restaurant by the call-centre queue. */
  | 'PHONE_CHANNEL';

export interface FallbackTaken {
  dependency: FallbackDependency;
  rule: FallbackRule;
  /** What was assumed, in words operations can read (amounts, limits). */
  detail: string;
  /** The step it stood in for; absent for pricing. */
  step?: StepName;
  at: number;
}

/** Parts of an order that were estimated rather than confirmed by their service. */
export type EstimatedPart = 'delivery_fee' | 'eta';
