/**
 * The switches and limits of the default fallbacks (src/domain/fallbacks.ts), one per rule. A
 * switched-off fallback leaves its dependency as critical as the others: past its retry budget
 * the order is rejected (pricing) or fails with a retryable reason (steps).
 */
export interface FallbackSettings {
  /** Promotions unavailable: price without the discount. */
  promotions: { enabled: boolean };
  /** Delivery quote unavailable: the zone's default fee, never above `feeCapMinor`, and ETA. */
  deliveryQuote: { enabled: boolean; feeCapMinor: number };
  /** Fraud assessment unavailable: orders whose total is at most `maxOrderMinor` go on unassessed. */
  fraud: { enabled: boolean; maxOrderMinor: number };
  /** Merchant tablet unreachable: phone the order through (the second channel). */
  merchantChannel: { enabled: boolean };
}

export const DEFAULT_FALLBACK_SETTINGS: FallbackSettings = Object.freeze({
  promotions: { enabled: true },
  deliveryQuote: { enabled: true, feeCapMinor: 499 },
  fraud: { enabled: true, maxOrderMinor: 3_000 },
  merchantChannel: { enabled: true },
});

/** Every fallback off: what tests compare with, and an operator's kill switch. */
export const NO_FALLBACKS: FallbackSettings = Object.freeze({
  promotions: { enabled: false },
  deliveryQuote: { enabled: false, feeCapMinor: 0 },
  fraud: { enabled: false, maxOrderMinor: 0 },
  merchantChannel: { enabled: false },
});
