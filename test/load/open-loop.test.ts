import { describe, expect, it } from 'vitest';
import { runOpenLoop } from '../../src/load/open-loop.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('the open-loop load generator', () => {
  it('fires rate × duration arrivals on schedule, however slow the calls are', async () => {
    const firedAt: number[] = [];
    const t0 = performance.now();
    const report = await runOpenLoop({ ratePerSec: 100, durationMs: 300, fire: async () => { firedAt.push(performance.now() - t0); await sleep(200); } });
    expect(report.results).toHaveLength(30);
    expect(report.dropped).toBe(0);
    // Closed-loop, 200 ms calls would have let only 1–2 arrivals out in 300 ms.
    expect(firedAt.at(-1)).toBeLessThan(400);
  });

  it('measures latency from the scheduled arrival, not from when the call went out', async () => {
    // The first call blocks the loop for 60 ms, so the second (due at 20 ms) goes out 40 ms late:
    // its own work is instant, but a client arriving on time would have waited those 40 ms.
    const report = await runOpenLoop({
      ratePerSec: 50, durationMs: 40,
      fire: async (i) => { if (i === 0) { const until = performance.now() + 60; while (performance.now() < until); } },
    });
    expect(report.results[1]!.latencyMs).toBeGreaterThanOrEqual(35);
  });

  it('drops arrivals beyond the in-flight bound and counts them, and records failures', async () => {
    const report = await runOpenLoop({
      ratePerSec: 200, durationMs: 100, maxInFlight: 5,
      fire: async (i) => { await sleep(300); if (i === 0) throw new Error('boom'); return i; },
    });
    expect(report.results).toHaveLength(5);
    expect(report.dropped).toBe(15);
    expect(report.results.filter((r) => !r.ok).map((r) => (r.error as Error).message)).toEqual(['boom']);
  });

  it('refuses a rate that is not positive', async () => {
    await expect(runOpenLoop({ ratePerSec: 0, durationMs: 100, fire: async () => 1 })).rejects.toThrow(RangeError);
  });
});
