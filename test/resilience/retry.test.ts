import { describe, expect, it } from 'vitest';
import { retry, retryOrThrow, type RetryPolicy } from '../../src/resilience/retry.js';

const policy: RetryPolicy = { maxAttempts: 3, backoff: { initialMs: 10, maxMs: 100 } };
const failing = (times: number, error = new Error('down')) => {
  let calls = 0;
  return async () => {
    calls += 1;
    if (calls <= times) throw error;
    return `ok after ${calls}`;
  };
};

describe('retry', () => {
  it('returns the first success and how many attempts it took, sleeping the backoff between them', async () => {
    const slept: number[] = [];
    const result = await retry(failing(2), policy, { sleep: async (ms) => { slept.push(ms); } });
    expect(result).toEqual({ ok: true, value: 'ok after 3', attempts: 3 });
    expect(slept).toEqual([10, 20]);
  });

  it('stops once the budget is spent, with the last error', async () => {
    const result = await retry(failing(5), policy, { sleep: async () => {} });
    expect(result).toMatchObject({ ok: false, stop: 'exhausted', attempts: 3, error: new Error('down') });
  });

  it('does not retry an error the caller says is not retriable', async () => {
    const fatal = new Error('card declined');
    const result = await retry(failing(5, fatal), policy, { retriable: (e) => e !== fatal, sleep: async () => {} });
    expect(result).toMatchObject({ ok: false, stop: 'not-retriable', attempts: 1, error: fatal });
  });

  it('abandons before the next attempt once the caller no longer wants it', async () => {
    let wanted = true;
    const result = await retry(failing(5), policy, { stillWanted: () => wanted, sleep: async () => { wanted = false; } });
    expect(result).toEqual({ ok: false, stop: 'abandoned', attempts: 1 });
  });

  it('reports every failed attempt and whether another follows', async () => {
    const seen: Array<[number, boolean]> = [];
    await retry(failing(5), policy, { sleep: async () => {}, onAttemptFailed: (attempt, _e, willRetry) => seen.push([attempt, willRetry]) });
    expect(seen).toEqual([[1, true], [2, true], [3, false]]);
  });

  it('retryOrThrow rejects with the last error', async () => {
    await expect(retryOrThrow(failing(5), policy, { sleep: async () => {} })).rejects.toThrow('down');
  });
});
