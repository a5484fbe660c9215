/*
 * The one retry helper: exponential backoff with jitter, and a loop that retries a call within a
 * budget. Steps, compensations, storage reconnects, Kafka sends and consumer restarts all use it.
 * Jitter takes a random fraction off each delay so callers that failed together (a broker
 * hiccup, a downstream outage) do not all come back at the same instant.
 */

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Growth per failed attempt; default 2. */
  multiplier?: number;
  /** 0..1: the largest fraction of a delay that jitter may remove; default 0. */
  jitter?: number;
}

export interface RetryPolicy {
  /** Attempts in all, the first included; Infinity retries until success (or until not wanted). */
  maxAttempts: number;
  backoff: BackoffPolicy;
}

/**
 * The delay after `failedAttempts` failures (1 = after the first): initialMs, then × multiplier,
 * capped at maxMs, with up to `jitter` of it taken off. Always within [(1 − jitter)·base, base].
 */
export function backoffDelay(failedAttempts: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const multiplier = policy.multiplier ?? 2;
  const jitter = policy.jitter ?? 0;
  if (!(policy.initialMs >= 0 && policy.maxMs >= policy.initialMs && multiplier >= 1 && jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`invalid backoff policy ${JSON.stringify(policy)}`);
  }
  const base = Math.min(policy.maxMs, policy.initialMs * multiplier ** Math.max(0, failedAttempts - 1));
  return Math.round(base * (1 - jitter * random()));
}

export type RetryResult<T> =
  | { ok: true; value: T; attempts: number }
  /** `exhausted`: the budget ran out; `not-retriable`: `retriable` said no. */
  | { ok: false; stop: 'exhausted' | 'not-retriable'; error: unknown; attempts: number }
  /** `stillWanted` turned false: whoever asked has gone away. */
  | { ok: false; stop: 'abandoned'; attempts: number };

export interface RetryOptions {
  /** Whether an error is worth another attempt; default: every error is. */
  retriable?(error: unknown): boolean;
  /** Checked before every attempt. */
  stillWanted?(): boolean;
  onAttemptFailed?(attempt: number, error: unknown, willRetry: boolean): void;
  sleep?(ms: number): Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Calls `fn` until it succeeds, fails with an error that is not retriable, or the budget is spent. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, opts: RetryOptions = {}): Promise<RetryResult<T>> {
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    if (opts.stillWanted && !opts.stillWanted()) return { ok: false, stop: 'abandoned', attempts: attempt - 1 };
    try {
      return { ok: true, value: await fn(attempt), attempts: attempt };
    } catch (error) {
      const retriable = opts.retriable?.(error) ?? true;
      const willRetry = retriable && attempt < policy.maxAttempts;
      opts.onAttemptFailed?.(attempt, error, willRetry);
      if (!willRetry) return { ok: false, stop: retriable ? 'exhausted' : 'not-retriable', error, attempts: attempt };
      await sleep(backoffDelay(attempt, policy.backoff, opts.random));
    }
  }
}

/** `retry`, resolving with the value or rejecting with the last error. */
export async function retryOrThrow<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, opts: Omit<RetryOptions, 'stillWanted'> = {}): Promise<T> {
  const result = await retry(fn, policy, opts);
  if (result.ok) return result.value;
  throw (result as { error: unknown }).error;
}
