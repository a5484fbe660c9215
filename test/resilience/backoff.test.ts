import { expect, it } from 'vitest';
import { backoffDelay, type BackoffPolicy } from '../../src/resilience/retry.js';

const policy: BackoffPolicy = { initialMs: 100, maxMs: 1_000, multiplier: 2, jitter: 0.5 };

it('backoff waits the initial delay after the first failure, doubles, and never exceeds the maximum', () => {
  const noJitter = () => 0;
  expect([1, 2, 3, 4, 5, 6, 51, 5_001].map((n) => backoffDelay(n, policy, noJitter))).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000]);
});

it('jitter only shortens a delay, by at most its fraction', () => {
  expect(backoffDelay(4, policy, () => 0.999999)).toBe(400);
  expect(backoffDelay(4, policy, () => 0.5)).toBe(600);
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(3, policy);
    expect(d).toBeGreaterThanOrEqual(200);
    expect(d).toBeLessThanOrEqual(400);
  }
});

it('an inconsistent backoff policy is rejected', () => {
  expect(() => backoffDelay(1, { ...policy, maxMs: 10 })).toThrow(RangeError);
  expect(() => backoffDelay(1, { ...policy, jitter: 2 })).toThrow(RangeError);
  expect(() => backoffDelay(1, { ...policy, multiplier: 0.5 })).toThrow(RangeError);
});
