/**
 * A bounded open-loop load generator: arrivals follow a fixed schedule (rate × time), not the
 * completion of earlier calls, so a slow system sees the queue a real one would (no coordinated
 * omission: latency is measured from the scheduled arrival, not from when the call went out).
 * Bounded: past `maxInFlight` outstanding calls an arrival is dropped and counted, instead of
 * growing memory without limit.
 */

export interface OpenLoopOptions<T> {
  ratePerSec: number;
  durationMs: number;
  /** Outstanding calls allowed at once; arrivals beyond it are dropped (and counted). */
  maxInFlight?: number;
  /** One arrival; `index` counts from 0. Its resolution or rejection ends the call. */
  fire(index: number): Promise<T>;
  /** Called after every settled call, e.g. to tick a progress bar. */
  onSettled?(result: OpenLoopResult<T>): void;
  clock?: () => number;
}

export interface OpenLoopResult<T> {
  index: number;
  /** When the arrival was due (ms, on the options' clock). */
  scheduledAt: number;
  /** From the scheduled arrival to settlement. */
  latencyMs: number;
  ok: boolean;
  value?: T;
  error?: unknown;
}

export interface OpenLoopReport<T> {
  results: OpenLoopResult<T>[];
  dropped: number;
  /** From the first arrival to the last settlement. */
  elapsedMs: number;
  /** Arrivals that went out per second of schedule (≈ ratePerSec unless the loop fell behind). */
  achievedRatePerSec: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runOpenLoop<T>(opts: OpenLoopOptions<T>): Promise<OpenLoopReport<T>> {
  if (!(opts.ratePerSec > 0)) throw new RangeError(`ratePerSec must be > 0, got ${opts.ratePerSec}`);
  if (!(opts.durationMs >= 0)) throw new RangeError(`durationMs must be >= 0, got ${opts.durationMs}`);
  const now = opts.clock ?? (() => performance.now());
  const maxInFlight = opts.maxInFlight ?? 10_000;
  const total = Math.floor((opts.durationMs / 1000) * opts.ratePerSec);
  const intervalMs = 1000 / opts.ratePerSec;
  const results: OpenLoopResult<T>[] = [];
  const pending = new Set<Promise<void>>();
  let dropped = 0;
  const start = now();

  for (let index = 0; index < total; index++) {
    const scheduledAt = start + index * intervalMs;
    const wait = scheduledAt - now();
    if (wait > 1) await sleep(wait);
    if (pending.size >= maxInFlight) {
      dropped++;
      continue;
    }
    const call = opts.fire(index).then(
      (value) => ({ index, scheduledAt, latencyMs: now() - scheduledAt, ok: true, value }),
      (error: unknown) => ({ index, scheduledAt, latencyMs: now() - scheduledAt, ok: false, error }),
    );
    const tracked: Promise<void> = call.then((result: OpenLoopResult<T>) => {
      results.push(result);
      pending.delete(tracked);
      opts.onSettled?.(result);
    });
    pending.add(tracked);
  }
  await Promise.all(pending);
  const elapsedMs = now() - start;
  const sent = total - dropped;
  return { results: results.sort((a, b) => a.index - b.index), dropped, elapsedMs, achievedRatePerSec: total > 0 ? (sent / Math.max(opts.durationMs, 1)) * 1000 : 0 };
}
