import type { PricedOrder } from '../../src/domain/order.js';
import type { StepName } from '../../src/domain/checkout-steps.js';
import type { FallbackDependency, FallbackRule } from '../../src/domain/fallbacks.js';

/**
 * What the journal holds for an order. Every event carries its schema version `v`, so a later
 * shape can be added beside this one (with an upcaster from v1 in `decodeOrderEvent`) without
 * rewriting history. There is one version so far.
 */
export type OrderEvent =
  | { type: 'OrderPlaced'; v: 1; order: PricedOrder; at: number; node: string }
  | { type: 'StepSucceeded'; v: 1; step: StepName; resultId: string; attempts: number; at: number; node: string }
  /** `definitive`: the service said no, so nothing was applied; otherwise the outcome is unknown. */
  | { type: 'StepFailed'; v: 1; step: StepName; reason: string; message: string; definitive: boolean; attempts: number; at: number; node: string }
  /**
   * The step's service stayed unavailable past its budget and its fallback was taken: `then` says
   * whether the order proceeds as if the step succeeded, or runs the step's second channel next.
   * Persisted before anything depends on it, so recovery replays the decision instead of deciding again.
   */
  | { type: 'FallbackTaken'; v: 1; step: StepName; dependency: FallbackDependency; rule: FallbackRule; then: 'proceed' | 'second-channel'; detail: string; attempts: number; at: number; node: string }
  | { type: 'CancelRequested'; v: 1; reason: string; at: number; node: string }
  | { type: 'StepCompensated'; v: 1; step: StepName; attempts: number; at: number; node: string }
  | { type: 'OrderClosed'; v: 1; outcome: 'FAILED' | 'CANCELLED'; at: number; node: string };

export type OrderEventType = OrderEvent['type'];

export const CURRENT_EVENT_VERSION = 1;

const knownTypes: ReadonlySet<string> = new Set<OrderEventType>([
  'OrderPlaced', 'StepSucceeded', 'StepFailed', 'FallbackTaken', 'CancelRequested', 'StepCompensated', 'OrderClosed',
]);

/** Decodes a stored event; throws on a type or version it does not know (a row from a newer build). */
export function decodeOrderEvent(type: string, version: number, payload: string): OrderEvent {
  if (!knownTypes.has(type)) throw new Error(`unknown order event type ${type}`);
  if (version !== CURRENT_EVENT_VERSION) throw new Error(`unsupported ${type} version ${version}`);
  const event = JSON.parse(payload) as OrderEvent;
  if (event.type !== type) throw new Error(`event payload says ${event.type}, row says ${type}`);
  return event;
}
