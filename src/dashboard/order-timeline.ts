import { decodeOrderEvent, type OrderEvent } from '../../actors/order/order-events.js';
import { applyOrderEvent, emptyOrderState } from '../../actors/order/order-state.js';
import type { StoredJournalRow } from '../storage/journal-reader.js';

/** One journal row as the dashboard shows it. */
export interface TimelineEntry {
  seq: number;
  at: number;
  /** Since the order was placed (its first event). */
  sinceStartMs: number;
  type: string;
  step: string | null;
  attempt: number | null;
  /** The node that appended the row (the journal's writer column). */
  writer: string;
  /** Why, for failures, cancels and closes; empty otherwise. */
  detail: string;
}

export interface OrderTimeline {
  orderId: string;
  /** The status the journal folds to. */
  status: string;
  entries: TimelineEntry[];
}

/**
 * Pure: the rows as a timeline. Only what operations need (type, step, attempt, writer, reason):
 * no address, lines or consumer, since the page shows it to anyone who knows the order id.
 */
export function timelineOf(orderId: string, rows: readonly StoredJournalRow[]): OrderTimeline | undefined {
  if (rows.length === 0) return undefined;
  const events = [...rows].sort((a, b) => a.seq - b.seq).map((row) => ({ row, event: decodeOrderEvent(row.eventType, row.schemaVersion, row.payload) }));
  const start = events[0]!.event.at;
  return {
    orderId,
    status: events.map((e) => e.event).reduce(applyOrderEvent, emptyOrderState).status,
    entries: events.map(({ row, event }) => ({
      seq: row.seq, at: event.at, sinceStartMs: event.at - start, type: event.type,
      step: 'step' in event ? event.step : null,
      attempt: 'attempts' in event ? event.attempts : null,
      writer: row.writer,
      detail: detailOf(event),
    })),
  };
}

function detailOf(event: OrderEvent): string {
  switch (event.type) {
    case 'OrderPlaced': return [
      `merchant ${event.order.merchantId}, total ${event.order.totalMinor} ${event.order.currency}`,
      ...(event.order.estimated?.length ? [`estimated: ${event.order.estimated.join(', ')}`] : []),
      ...(event.order.fallbacks ?? []).map((f) => `fallback ${f.rule}: ${f.detail}`),
    ].join('; ');
    case 'FallbackTaken': return `fallback ${event.rule}: ${event.detail}`;
    case 'StepSucceeded': return '';
    case 'StepFailed': return `${event.reason}${event.definitive ? '' : ' (outcome unknown)'}`;
    case 'CancelRequested': return event.reason;
    case 'StepCompensated': return 'undone';
    case 'OrderClosed': return event.outcome;
  }
}
