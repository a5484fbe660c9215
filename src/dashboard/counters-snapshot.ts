import type { Registry } from 'prom-client';

/**
 * One node's order counters at one moment, read from its Prometheus registry (the counters of
 * `src/observability/order-metrics.ts`), cumulative since the node process started.
 */
export interface CountersSnapshot {
  /** OrderPlaced events this node persisted. */
  placed: number;
  /** Orders that reached a terminal state on this node, by state (COMPLETED, FAILED, CANCELLED). */
  terminal: Record<string, number>;
  /** Failed step attempts (each is followed by a retry or, once the budget is spent, a compensation). */
  failedAttempts: number;
  savedByRetry: number;
  /** Default fallbacks taken, by dependency, and completed orders that took any (absent on older nodes). */
  fallbacks?: Record<string, number>;
  savedByFallback?: number;
  compensations: number;
  /** Order actors alive on this node by status (absent where the gauge is not registered). */
  liveByStatus?: Record<string, number>;
  /** Cumulative bucket counts of completed orders' end-to-end time: [upper bound in s, count]. */
  durationBuckets: Array<[number, number]>;
}

export const emptyCounters = (): CountersSnapshot => ({ placed: 0, terminal: {}, failedAttempts: 0, savedByRetry: 0, compensations: 0, durationBuckets: [] });

interface MetricValue { value: number; labels: Record<string, string | number | undefined>; metricName?: string }

/**
 * Reads what exists and skips what does not: the metrics are owned elsewhere and may gain labels
 * or be renamed, and a dashboard must not break a node for that.
 */
export async function readCounters(registry: Registry): Promise<CountersSnapshot> {
  const values = async (name: string): Promise<MetricValue[]> => {
    const metric = registry.getSingleMetric(name);
    if (!metric) return [];
    try {
      const got = (await metric.get()) as { values?: unknown };
      return Array.isArray(got.values) ? (got.values as MetricValue[]).filter((v) => typeof v?.value === 'number' && Number.isFinite(v.value)) : [];
    } catch {
      return [];
    }
  };
  const sum = (vs: MetricValue[], keep: (labels: MetricValue['labels']) => boolean = () => true) =>
    vs.filter((v) => keep(v.labels ?? {})).reduce((total, v) => total + v.value, 0);

  const [events, terminal, attempts, saved, compensations, durations, live, fallbacks, savedByFallback] = await Promise.all([
    values('checkout_order_events_total'), values('checkout_orders_terminal_total'), values('checkout_step_attempt_failures_total'),
    values('checkout_orders_saved_by_retry_total'), values('checkout_compensations_total'), values('checkout_order_duration_seconds'),
    values('checkout_live_orders'), values('checkout_fallbacks_total'), values('checkout_orders_saved_by_fallback_total'),
  ]);
  return {
    placed: sum(events, (l) => l.type === 'OrderPlaced'),
    terminal: byStatusLabel(terminal),
    failedAttempts: sum(attempts, (l) => l.kind === undefined || l.kind === 'run'),
    savedByRetry: sum(saved),
    ...(registry.getSingleMetric('checkout_fallbacks_total') ? { fallbacks: byLabel(fallbacks, 'dependency'), savedByFallback: sum(savedByFallback) } : {}),
    compensations: sum(compensations),
    durationBuckets: completedBuckets(durations),
    ...(registry.getSingleMetric('checkout_live_orders') ? { liveByStatus: byStatusLabel(live) } : {}),
  };
}

function byStatusLabel(values: MetricValue[]): Record<string, number> {
  return byLabel(values, 'status');
}

function byLabel(values: MetricValue[], label: string): Record<string, number> {
  const by: Record<string, number> = {};
  for (const v of values) {
    const key = String(v.labels?.[label] ?? 'UNKNOWN');
    by[key] = (by[key] ?? 0) + v.value;
  }
  return by;
}

/** The histogram's cumulative buckets for COMPLETED orders (all orders if it has no status label). */
function completedBuckets(values: MetricValue[]): Array<[number, number]> {
  const buckets = values.filter((v) => v.metricName === undefined || v.metricName.endsWith('_bucket'))
    .filter((v) => v.labels?.le !== undefined && (v.labels.status === undefined || v.labels.status === 'COMPLETED'));
  const byBound = new Map<number, number>();
  for (const v of buckets) {
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
    if (Number.isNaN(le)) continue;
    byBound.set(le, (byBound.get(le) ?? 0) + v.value);
  }
  return [...byBound].sort((a, b) => a[0] - b[0]);
}
