/*
 * The demo world the downstream simulators serve (cluster/local/downstream/world.ts) and the
 * load generator orders from: every fixture rule in one place, so tests and the demo load can
 * build orders that succeed or fail for a chosen reason without a database.
 *
 * Merchants
 *   m-1 … m-50      open, accepting orders, USD, on a grid around CENTER (within ~5 km of it).
 *   m-closed        found but closed; opens_at = the next full hour (UTC) after "now".
 *   m-paused        open but not accepting orders.
 *   m-rejects       open and accepting; the built-in fault rejects its tickets (SendOrder).
 *   anything else   not found.
 * Menus (every found merchant)
 *   <m>-item-1 … <m>-item-5   available, price 399 + 100·k minor (499 … 899).
 *   <m>-sold-out              unavailable, price 999.
 *   Every merchant's delivery zone: default fee 399, default ETA 40 min, radius 8 km (what
 *   checkout charges, marked estimated, when the delivery quote is unavailable).
 * Promotions
 *   m-41 … m-50     "PARTNER10": 10% off the items for every consumer, at most 300 minor.
 *   elsewhere       none.
 * Consumers
 *   c-<anything>    found, except c-missing* (not found) and c-blocked (found, blocked).
 *   c-fraud         found; the built-in fault rejects it at fraud.Assess.
 *   no "c-" prefix  not found.
 * Payment methods (for any found consumer)
 *   pm-<anything>   found, brand visa; last4 = the id's last 4 characters if they are digits,
 *                   else 4242. pm-missing* is not found; pm-expired is expired.
 *   last4 0002      the built-in fault declines it at payments.Authorize (so: pm-0002).
 * Delivery
 *   in range when the great-circle distance pickup→dropoff is < 8 km; fee 199 + 50/km minor,
 *   eta 15 + 3 min/km. Postal code 00000 quotes fine but the built-in fault finds no courier
 *   at logistics.CreateDelivery.
 */
export const FIXTURES = {
  currency: 'USD',
  center: { lat: 40.7128, lng: -74.006 },
  merchantCount: 50,
  maxDeliveryKm: 8,
  closedMerchant: 'm-closed',
  pausedMerchant: 'm-paused',
  rejectingMerchant: 'm-rejects',
  menuItemCount: 5,
  blockedConsumer: 'c-blocked',
  fraudConsumer: 'c-fraud',
  missingConsumerPrefix: 'c-missing',
  expiredPaymentMethod: 'pm-expired',
  missingPaymentMethodPrefix: 'pm-missing',
  declinedCardLast4: '0002',
  defaultCardLast4: '4242',
  noCourierPostalCode: '00000',
  zoneDefaultFeeMinor: 399,
  zoneDefaultEtaMinutes: 40,
  /** Merchants m-<n> with n at least this run the partner promotion. */
  firstPromotedMerchant: 41,
  promotion: { promotionId: 'PARTNER10', percentOff: 10, maxDiscountMinor: 300 },
} as const;
