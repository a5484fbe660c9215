import { FatalError } from '../src/domain/errors.js';
import { backoffDelay as exponentialBackoff } from '../src/resilience/backoff.js';

export interface RetryPolicy {
  /** Attempts in all, the first included; Infinity retries until success (compensations). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Delay after failed attempt `attempt` (1-based): doubling, capped, with up to half taken off by jitter so many orders' retries don't stampede. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return exponentialBackoff(attempt - 1, { initialMs: policy.baseDelayMs, maxMs: policy.maxDelayMs, multiplier: 2, jitter: 0.5 }, random);
}

export type RetryOutcome<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; error: FatalError; attempts: number; definitive: boolean }
  | { ok: false; abandoned: true; attempts: number };

export interface RetryHooks {
  sleep(ms: number): Promise<void>;
  /** False once whoever asked has gone away (the step was cancelled, the actor stopped). */
  stillWanted(): boolean;
  onAttemptFailed?(attempt: number, error: unknown, willRetry: boolean): void;
  random?: () => number;
}

/**
 * Calls `fn` until it succeeds, fails fatally, or the budget is spent. Anything that is not a
 * FatalError is treated as transient: an unknown error is retried, never taken as a "no".
 */
export async function retry<T>(fn: () => Promise<T>, policy: RetryPolicy, hooks: RetryHooks, exhausted: (last: unknown) => FatalError): Promise<RetryOutcome<T>> {
  let last: unknown;
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    if (!hooks.stillWanted()) return { ok: false, abandoned: true, attempts: attempt - 1 };
    try {
      return { ok: true, value: await fn(), attempts: attempt };
    } catch (e) {
      last = e;
      if (e instanceof FatalError) {
        hooks.onAttemptFailed?.(attempt, e, false);
        return { ok: false, error: e, attempts: attempt, definitive: true };
      }
      const willRetry = attempt < policy.maxAttempts;
      hooks.onAttemptFailed?.(attempt, e, willRetry);
      if (willRetry) await hooks.sleep(backoffDelay(attempt, policy, hooks.random));
    }
  }
  return { ok: false, error: exhausted(last), attempts: policy.maxAttempts, definitive: false };
}

