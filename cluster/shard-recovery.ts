import type { Logger } from '../src/observability/logger.js';
import { retry, type BackoffPolicy } from '../src/resilience/retry.js';

export interface ShardRecoveryOptions {
  /** Lists the shard's unfinished orders and wakes them; resolves with how many. */
  recover(shard: number): Promise<number>;
  /** False once the shard was revoked (or the node stops): then waking its orders is another node's job. */
  stillOwned(shard: number): boolean;
  backoff?: BackoffPolicy;
  sleep?: (ms: number) => Promise<void>;
  logger: Pick<Logger, 'info' | 'warn'>;
}

const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 10_000, multiplier: 2, jitter: 0.2 };

/**
 * Wakes a newly owned shard's unfinished orders, retrying a failed listing (Cassandra briefly
 * unreachable) with backoff until it succeeds or the shard is no longer this node's: one failure
 * must not leave those orders asleep until the next rebalance. Resolves with the number woken,
 * or undefined if the shard went away first.
 */
export async function recoverShardUntilDone(shard: number, opts: ShardRecoveryOptions): Promise<number | undefined> {
  const result = await retry(() => opts.recover(shard), { maxAttempts: Infinity, backoff: opts.backoff ?? DEFAULT_BACKOFF }, {
    stillWanted: () => opts.stillOwned(shard),
    onAttemptFailed: (attempt, err) => opts.logger.warn({ shard, err, attempt }, 'could not list the shard\'s unfinished orders; retrying'),
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
  });
  if (!result.ok) return undefined;
  opts.logger.info({ shard, listed: result.value, attempts: result.attempts }, 'took shard: woke its unfinished orders');
  return result.value;
}
