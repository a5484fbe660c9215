import { fallbacksOf, type OrderState } from './order-state.js';
import type { OrderView } from '../../src/domain/order-view.js';


const money = (currency: string, minor: number) => ({ currency, minor });

/** The client-facing view of an order's state; `undefined` for an order that was never placed. */
export function orderView(orderId: string, state: OrderState): OrderView | undefined {
  const o = state.order;
  if (!o || state.status === 'NEW') return undefined;
  const failure = state.compensation && { reason: state.compensation.reason, message: state.compensation.message, step: state.compensation.failedStep ?? '' };
  return {
    orderId,
    consumerId: o.consumerId,
    merchantId: o.merchantId,
    status: state.status,
    lines: o.lines.map((l) => ({ itemId: l.itemId, name: l.name, quantity: l.quantity, unitPrice: money(o.currency, l.unitPriceMinor) })),
    subtotal: money(o.currency, o.subtotalMinor),
    deliveryFee: money(o.currency, o.deliveryFeeMinor),
    tip: money(o.currency, o.tipMinor),
    total: money(o.currency, o.totalMinor),
    deliveryAddress: { line1: o.address.line1, city: o.address.city, postalCode: o.address.postalCode, country: o.address.country, lat: o.address.lat, lng: o.address.lng },
    ...(failure ? { failure } : {}),
    ...(o.discountMinor ? { discount: money(o.currency, o.discountMinor) } : {}),
    etaMinutes: o.etaMinutes ?? 0,
    estimated: o.estimated ?? [],
    fallbacks: fallbacksOf(state).map((f) => ({ dependency: f.dependency, rule: f.rule, detail: f.detail, step: f.step ?? '' })),
    placedAt: o.placedAt,
    updatedAt: state.updatedAt,
    version: state.version,
  };
}
