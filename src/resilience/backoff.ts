/**
 * Exponential backoff with jitter, bounded by maxMs. Jitter takes a random fraction off each
 * delay so consumers that crashed together (same poison message, same broker hiccup) do not
 * all come back at the same instant.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  multiplier: number;
  /** 0..1: the largest fraction of a delay that jitter may remove. */
  jitter: number;
}

export const DEFAULT_RESTART_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, multiplier: 2, jitter: 0.3 };

/** Delay before retry number `attempt` (0-based); always within [(1 - jitter) * base, base], base ≤ maxMs. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  if (!(policy.initialMs >= 0 && policy.maxMs >= policy.initialMs && policy.multiplier >= 1 && policy.jitter >= 0 && policy.jitter <= 1)) {
    throw new RangeError(`invalid backoff policy ${JSON.stringify(policy)}`);
  }
  const base = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** Math.max(0, attempt));
  return Math.round(base * (1 - policy.jitter * random()));
}
