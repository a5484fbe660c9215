import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createCoalescingSender } from '../../src/messaging/coalescing-sender.js';
import { createHopMetrics } from '../../src/observability/hop-metrics.js';
import { hopLatency, type HopBuckets } from '../../cluster/bench/hop-latency.js';
import { parsePromText, select } from '../support/prom-text.js';
import { recordingLogger } from '../support/recording-logger.js';

describe('the Kafka hops are measured from submission', () => {
  it('stamps a message when it is submitted, so time queued behind the request in flight counts', async () => {
    const stamps: string[] = [];
    let release = (): void => {};
    const producer = {
      sendBatch: async ({ topicMessages }: { topicMessages: Array<{ messages: Array<{ timestamp?: string }> }> }) => {
        stamps.push(...topicMessages.flatMap((t) => t.messages.map((m) => m.timestamp ?? 'none')));
        await new Promise<void>((resolve) => (release = resolve));
        return [];
      },
    };
    const sender = createCoalescingSender({ producer: producer as never, logger: recordingLogger(), what: 'test' });
    const first = sender.send('t', { key: 'a', value: '1' });
    const queuedAt = Date.now();
    const second = sender.send('t', { key: 'b', value: '2' }); // waits behind the first request
    await new Promise((resolve) => setTimeout(resolve, 30));
    release();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 0));
    release();
    await second;
    expect(stamps).toHaveLength(2);
    expect(Math.abs(Number(stamps[1]) - queuedAt)).toBeLessThan(10);
    const kept = sender.send('t', { key: 'c', value: '3', timestamp: '42' });
    await new Promise((resolve) => setTimeout(resolve, 0));
    release();
    await kept;
    expect(stamps[2]).toBe('42');
  });

  it('records each hop in a histogram the benchmarks read percentiles from', async () => {
    const registry = new Registry();
    const hops = createHopMetrics(registry);
    const now = 1_000_000;
    for (const ms of [1, 2, 2, 3, 40]) hops.observe('intake', String(now - ms), now);
    hops.observe('status', 'not a number', now); // ignored
    const samples = parsePromText(await registry.metrics());
    const buckets: HopBuckets = new Map();
    for (const s of select(samples, 'checkout_kafka_hop_ms_bucket')) {
      const b = buckets.get(s.labels.hop!) ?? new Map<number, number>();
      b.set(s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le), s.value);
      buckets.set(s.labels.hop!, b);
    }
    const latency = hopLatency(new Map(), buckets);
    expect(latency.intake?.n).toBe(5);
    expect(latency.intake?.p50).toBeGreaterThanOrEqual(1);
    expect(latency.intake?.p50).toBeLessThanOrEqual(3);
    expect(latency.intake?.p90).toBeGreaterThan(30);
    expect(latency.status?.n ?? 0).toBe(0);
  });
});
