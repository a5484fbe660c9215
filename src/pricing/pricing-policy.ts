import type { FallbackDependency, FallbackRule } from '../domain/fallbacks.js';
import { TransientError } from '../domain/errors.js';
import { retry, type RetryPolicy, type RetryResult } from '../resilience/retry.js';

/**
 * How pricing treats each dependency it fetches: each attempt's deadline, the retry budget, and
 * either the default it falls back to once the budget is spent (non-critical data only) or why
 * there is none. The customer is waiting on PlaceOrder, so budgets are one quick retry; a
 * critical dependency that stays down rejects the order as UNAVAILABLE (retryable, nothing stored).
 */
export interface DependencyPolicy {
  /** Each attempt's deadline; never above the pricer's own (DOWNSTREAM_DEADLINE_MS). */
  deadlineMs: number;
  retry: RetryPolicy;
  /** Why this dependency has no default: the order would be wrong without it. */
  critical?: string;
  fallback?: { dependency: FallbackDependency; rule: FallbackRule; description: string };
}

export type PricingDependency = 'merchant' | 'menu' | 'consumer' | 'paymentMethod' | 'promotion' | 'quote';

const ONE_QUICK_RETRY: RetryPolicy = { maxAttempts: 2, backoff: { initialMs: 25, maxMs: 100, multiplier: 2, jitter: 0.5 } };

export const pricingPolicy: Readonly<Record<PricingDependency, DependencyPolicy>> = {
  merchant: {
    deadlineMs: 1_000, retry: ONE_QUICK_RETRY,
    critical: 'whether the restaurant is open and accepting orders, and where the courier picks up: a guess could send a paid order to a closed kitchen',
  },
  menu: {
    deadlineMs: 1_000, retry: ONE_QUICK_RETRY,
    critical: 'items and prices: the customer is charged exactly the menu price of what exists, never a remembered or guessed one',
  },
  consumer: {
    deadlineMs: 1_000, retry: ONE_QUICK_RETRY,
    critical: 'the account exists and is not blocked: a blocked account must never get through',
  },
  paymentMethod: {
    deadlineMs: 1_000, retry: ONE_QUICK_RETRY,
    critical: 'the card belongs to the consumer and has not expired: authorisation needs it',
  },
  promotion: {
    deadlineMs: 500, retry: ONE_QUICK_RETRY,
    fallback: { dependency: 'promotions', rule: 'PRICE_WITHOUT_DISCOUNT', description: 'price without the discount (never a discount the service did not confirm)' },
  },
  quote: {
    deadlineMs: 1_000, retry: ONE_QUICK_RETRY,
    fallback: {
      dependency: 'delivery_quote', rule: 'ZONE_DEFAULT_DELIVERY',
      description: "the merchant zone's default fee (capped) and ETA, marked estimated; the address must still lie within the zone's radius",
    },
  },
};

/** The longest one dependency's fetch can take: every attempt's deadline plus the longest backoffs. */
export function budgetMs(policy: DependencyPolicy, callDeadlineMs: number): number {
  const b = policy.retry.backoff;
  const attempts = policy.retry.maxAttempts;
  let backoffs = 0;
  for (let i = 1; i < attempts; i++) backoffs += Math.min(b.maxMs, b.initialMs * (b.multiplier ?? 2) ** (i - 1));
  return attempts * callDeadlineMs + backoffs;
}

/**
 * Fetches under a dependency's policy: transient failures are retried within its budget, a fatal
 * answer is not. Stops retrying once `signal` aborts (a sibling failed, the caller left).
 */
export function fetchUnderPolicy<T>(
  policy: DependencyPolicy,
  maxDeadlineMs: number,
  signal: AbortSignal,
  call: (opts: { deadlineMs: number; signal: AbortSignal }) => Promise<T>,
): Promise<RetryResult<T>> {
  const deadlineMs = Math.min(policy.deadlineMs, maxDeadlineMs);
  return retry(() => call({ deadlineMs, signal }), policy.retry, {
    stillWanted: () => !signal.aborted,
    retriable: (err) => err instanceof TransientError,
  });
}
