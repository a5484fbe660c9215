import type { PreconditionViolation } from '../domain/errors.js';
import type { PricedLine } from '../domain/order.js';
import type { PlaceOrderInput } from '../domain/place-order.js';
import type { Consumer__Output } from '../generated/downstream/v1/Consumer.js';
import type { DeliveryQuote__Output } from '../generated/downstream/v1/DeliveryQuote.js';
import type { Menu__Output } from '../generated/downstream/v1/Menu.js';
import type { Merchant__Output } from '../generated/downstream/v1/Merchant.js';
import type { PaymentMethod__Output } from '../generated/downstream/v1/PaymentMethod.js';

/*
 * What stands between the facts fetched for an order and accepting it: pure functions, one per
 * fact, each returning every problem it finds (never just the first), each worded so the
 * customer knows what to do about it.
 */

/** One unmet condition, and what the edge's ErrorInfo metadata should carry about it. */
export interface Problem {
  violation: PreconditionViolation;
  metadata?: Record<string, string>;
}

const problem = (type: string, subject: string, description: string, metadata?: Record<string, string>): Problem =>
  ({ violation: { type, subject, description }, ...(metadata ? { metadata } : {}) });

export function merchantProblems(merchantId: string, merchant: Merchant__Output, now: number): Problem[] {
  const subject = `merchants/${merchantId}`;
  if (!merchant.found) {
    return [problem('MERCHANT_NOT_FOUND', subject, 'We could not find this restaurant. Choose another restaurant.')];
  }
  if (!merchant.open) {
    if (!merchant.opensAt) {
      return [problem('STORE_CLOSED', subject, `${merchant.name} is closed right now. Try again later or choose another restaurant.`)];
    }
    const opensAt = new Date(merchant.opensAt);
    return [problem(
      'STORE_CLOSED',
      subject,
      `${merchant.name} is closed and opens at ${utcTime(opensAt, now)}. Place your order then, or choose another restaurant.`,
      { opens_at: opensAt.toISOString() },
    )];
  }
  if (!merchant.acceptingOrders) {
    return [problem('STORE_NOT_ACCEPTING_ORDERS', subject, `${merchant.name} is not taking orders right now. Try again in a little while or choose another restaurant.`)];
  }
  return [];
}

/**
 * Prices the cart against the menu. A menu that was not found counts as empty, so every line is
 * a problem; the caller drops those when the merchant itself was not found (one problem, not many).
 * An item on several lines (different notes) is one problem: the customer removes it once.
 */
export function priceLines(lines: PlaceOrderInput['lines'], menu: Menu__Output): { lines: PricedLine[]; problems: Problem[] } {
  const items = new Map((menu.found ? menu.items : []).map((i) => [i.itemId, i]));
  const priced: PricedLine[] = [];
  const problems: Problem[] = [];
  const reported = new Set<string>();
  for (const line of lines) {
    const item = items.get(line.itemId);
    const subject = `items/${line.itemId}`;
    if (item?.available !== true && reported.has(subject)) continue;
    reported.add(subject);
    if (!item) {
      problems.push(problem('ITEM_NOT_ON_MENU', subject, `Item ${line.itemId} is not on this restaurant's menu: remove it from your cart.`, { items_not_on_menu: line.itemId }));
    } else if (!item.available) {
      problems.push(problem('ITEM_UNAVAILABLE', subject, `${item.name} is unavailable right now: remove it from your cart.`, { unavailable_items: line.itemId }));
    } else {
      priced.push({ itemId: item.itemId, name: item.name, quantity: line.quantity, unitPriceMinor: item.priceMinor, note: line.note });
    }
  }
  return { lines: priced, problems };
}

export function consumerProblems(consumerId: string, consumer: Consumer__Output): Problem[] {
  const subject = `consumers/${consumerId}`;
  if (!consumer.found) return [problem('CONSUMER_NOT_FOUND', subject, 'We could not find your account. Sign in again, then place the order.')];
  if (consumer.blocked) return [problem('CONSUMER_BLOCKED', subject, 'Your account cannot place orders right now. Contact support to restore it.')];
  return [];
}

export function paymentMethodProblems(paymentMethodId: string, method: PaymentMethod__Output): Problem[] {
  const subject = `payment_methods/${paymentMethodId}`;
  if (!method.found) return [problem('PAYMENT_METHOD_NOT_FOUND', subject, 'This payment method is not on your account. Choose another payment method.')];
  if (method.expired) {
    return [problem('PAYMENT_METHOD_EXPIRED', subject, `Your ${method.brand} card ending ${method.last4} has expired. Update it or choose another payment method.`)];
  }
  return [];
}

export function quoteProblems(quote: DeliveryQuote__Output, merchantName: string): Problem[] {
  if (quote.inRange) return [];
  const distance = quote.distanceKm.toFixed(1);
  const max = String(quote.maxKm);
  return [problem(
    'ADDRESS_OUT_OF_RANGE',
    'address',
    `Your address is ${distance} km from ${merchantName}, which delivers within ${max} km. Choose an address within ${max} km, or pick up.`,
    { distance_km: distance, max_km: max },
  )];
}

/** "18:00 UTC", with the date when it is not today (UTC), so a late-night customer is not misled. */
function utcTime(at: Date, now: number): string {
  const time = `${at.toISOString().slice(11, 16)} UTC`;
  const day = at.toISOString().slice(0, 10);
  return day === new Date(now).toISOString().slice(0, 10) ? time : `${time} on ${day}`;
}
