import type { Money__Output } from '../generated/checkout/v1/Money.js';
import type { Order__Output } from '../generated/checkout/v1/Order.js';

/** Human-readable order output; `--json` prints the objects as they came instead. */

export const money = (m: Money__Output | null | undefined): string =>
  m ? `${(m.minor / 100).toFixed(2)} ${m.currency}` : '-';

const time = (ms: number): string => (ms ? new Date(ms).toISOString() : '-');

export function formatOrder(o: Order__Output): string {
  return [
    `order ${o.orderId}  ${o.status}`,
    `  consumer ${o.consumerId}  merchant ${o.merchantId}  placed ${time(o.placedAt)}  updated ${time(o.updatedAt)}`,
    ...o.lines.map((l) => `  ${l.quantity} × ${l.name || l.itemId} (${l.itemId})  ${money(l.unitPrice)}`),
    `  subtotal ${money(o.subtotal)}  delivery ${money(o.deliveryFee)}  tip ${money(o.tip)}  total ${money(o.total)}`,
    ...(o.failure?.reason ? [`  failure ${o.failure.reason}${o.failure.step ? ` at ${o.failure.step}` : ''}: ${o.failure.message}`] : []),
  ].join('\n');
}

/** One line per status change, as `watch` prints them. */
export function formatStatusChange(o: Order__Output): string {
  const failure = o.failure?.reason ? `  ${o.failure.reason}: ${o.failure.message}` : '';
  return `${time(o.updatedAt)}  ${o.orderId}  ${o.status}${failure}`;
}
