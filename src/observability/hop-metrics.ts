import { Histogram, type Registry } from 'prom-client';

/** A hop through Kafka: from a message's submission (its timestamp) to a consumer's handler. */
export type Hop = 'intake' | 'status';

export interface HopMetrics {
  /** `timestamp` is the Kafka message's (ms since the epoch, as a string); `now` defaults to Date.now(). */
  observe(hop: Hop, timestamp: string, now?: number): void;
}

/**
 * Fine buckets at the low end: the hops are meant to cost a few milliseconds, and the benchmarks
 * read percentiles from these buckets (scraped before and after a run).
 */
export const HOP_BUCKETS_MS = [0.5, 1, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1_000, 2_000, 5_000];

export function createHopMetrics(registry: Registry): HopMetrics {
  const hist = new Histogram({
    name: 'checkout_kafka_hop_ms',
    help: 'Kafka hop latency (ms): intake = command submitted at the edge -> the owner handles it; status = status change submitted -> this node\'s view has it',
    labelNames: ['hop'], buckets: HOP_BUCKETS_MS, registers: [registry],
  });
  return {
    observe(hop, timestamp, now = Date.now()) {
      const sent = Number(timestamp);
      if (Number.isFinite(sent) && sent > 0) hist.observe({ hop }, Math.max(0, now - sent));
    },
  };
}
