import type { JournalRow } from '../../../actors/order/journal-of.js';
import { fallbacksOf } from '../../../actors/order/order-state.js';
import { foldJournal } from './chaos-check.js';

/** How many orders retries and fallbacks saved, out of all orders and of the completed ones. */
export interface SavedShares {
  orders: number;
  completed: number;
  /** Completed after a transient failure a retry got past. */
  savedByRetry: number;
  /** Completed with at least one default fallback (an order can be saved by both). */
  savedByFallback: number;
  /** Fallbacks taken, by dependency, over all orders (also those that failed or were cancelled later). */
  fallbacks: Record<string, number>;
  /** Percent of all orders. */
  retryPct: number;
  fallbackPct: number;
}

/** Pure: the shares, from each order's journal. */
export function savedShares(journals: ReadonlyArray<readonly JournalRow[]>): SavedShares {
  const fallbacks: Record<string, number> = {};
  let completed = 0;
  let savedByRetry = 0;
  let savedByFallback = 0;
  for (const rows of journals) {
    const state = foldJournal(rows);
    for (const f of fallbacksOf(state)) fallbacks[f.dependency] = (fallbacks[f.dependency] ?? 0) + 1;
    if (state.status !== 'COMPLETED') continue;
    completed++;
    if (state.retried) savedByRetry++;
    if (fallbacksOf(state).length > 0) savedByFallback++;
  }
  const pct = (n: number) => (journals.length ? Math.round((1000 * n) / journals.length) / 10 : 0);
  return { orders: journals.length, completed, savedByRetry, savedByFallback, fallbacks, retryPct: pct(savedByRetry), fallbackPct: pct(savedByFallback) };
}

export const formatSavedShares = (s: SavedShares): string =>
  `saved by retry ${s.savedByRetry} (${s.retryPct}% of ${s.orders} orders), by fallback ${s.savedByFallback} (${s.fallbackPct}%); fallbacks ${
    Object.entries(s.fallbacks).map(([d, n]) => `${d} ${n}`).join(', ') || 'none'}`;
