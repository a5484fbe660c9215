import { Counter, Histogram, type Registry } from 'prom-client';
import type { OrderEvent } from './order/order-events.js';
import { fallbacksOf, type OrderState } from './order/order-state.js';
import type { StepFinished } from './order-hooks.js';
import { isTerminal } from '../src/domain/order.js';
import type { StorageCounters } from '../src/storage/storage-counters.js';
import { createLiveOrderMetrics, type LiveOrderMetrics } from '../src/observability/live-order-metrics.js';
import { createStorageMetrics } from '../src/observability/storage-metrics.js';

export interface OrderMetrics {
  onEvent(orderId: string, event: OrderEvent, state: OrderState): void;
  onAttemptFailed(step: string, kind: 'run' | 'compensate'): void;
  /** A step or compensation ended (its outcome about to be persisted). */
  onStepFinished(report: StepFinished): void;
  /** Live actors by status: what an actor found on (re)start, and when it stopped. */
  live: LiveOrderMetrics;
  storage: StorageCounters;
}

/** The order runtime's Prometheus metrics, registered on the registry passed in (no globals). */
export function createOrderMetrics(registry: Registry): OrderMetrics {
  const events = new Counter({ name: 'checkout_order_events_total', help: 'Persisted order events by type', labelNames: ['type'], registers: [registry] });
  const terminal = new Counter({ name: 'checkout_orders_terminal_total', help: 'Orders that reached a terminal state, by state', labelNames: ['status'], registers: [registry] });
  const savedByRetry = new Counter({ name: 'checkout_orders_saved_by_retry_total', help: 'Completed orders that met a transient failure on the way', registers: [registry] });
  const fallbacks = new Counter({ name: 'checkout_fallbacks_total', help: 'Default fallbacks taken, by the dependency that was unavailable', labelNames: ['dependency'], registers: [registry] });
  const savedByFallback = new Counter({ name: 'checkout_orders_saved_by_fallback_total', help: 'Completed orders that took at least one default fallback on the way', registers: [registry] });
  const attemptFailures = new Counter({ name: 'checkout_step_attempt_failures_total', help: 'Failed attempts of steps and compensations', labelNames: ['step', 'kind'], registers: [registry] });
  const compensations = new Counter({ name: 'checkout_compensations_total', help: 'Completed compensations by step', labelNames: ['step'], registers: [registry] });
  const orderSeconds = new Histogram({
    name: 'checkout_order_duration_seconds', help: 'From OrderPlaced to a terminal state', labelNames: ['status'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60], registers: [registry],
  });
  const stepSeconds = new Histogram({
    name: 'checkout_step_duration_seconds', help: 'One step or compensation, retries included, by step, kind (run|compensate) and outcome (ok|fatal|gave_up)',
    labelNames: ['step', 'kind', 'outcome'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry],
  });
  const live = createLiveOrderMetrics(registry);
  let finished = 0;
  const storage = createStorageMetrics(registry, () => finished);

  return {
    onEvent(orderId, event, state) {
      events.inc({ type: event.type });
      live.onStatus(orderId, state.status);
      if (event.type === 'StepCompensated') compensations.inc({ step: event.step });
      // Pricing's fallbacks are journaled with the order; a step's as its own event.
      if (event.type === 'OrderPlaced') for (const f of event.order.fallbacks ?? []) fallbacks.inc({ dependency: f.dependency });
      if (event.type === 'FallbackTaken') fallbacks.inc({ dependency: event.dependency });
      if (!isTerminal(state.status)) return;
      terminal.inc({ status: state.status });
      finished++;
      if (state.status === 'COMPLETED' && state.retried) savedByRetry.inc();
      if (state.status === 'COMPLETED' && fallbacksOf(state).length > 0) savedByFallback.inc();
      if (state.order) orderSeconds.observe({ status: state.status }, Math.max(0, event.at - state.order.placedAt) / 1000);
    },
    onAttemptFailed: (step, kind) => attemptFailures.inc({ step, kind }),
    onStepFinished: (r) => stepSeconds.observe({ step: r.step, kind: r.kind, outcome: r.outcome }, r.ms / 1000),
    live,
    storage,
  };
}

