import type { OrderEvent } from './order/order-events.js';
import type { OrderState } from './order/order-state.js';
import type { StepJob, StepReport } from './steps/step-runner.js';

/** How long one step (or compensation) took, retries included, and how it ended. */
export interface StepFinished {
  step: string;
  kind: StepJob['kind'];
  /** ok; fatal: a definitive refusal; gave_up: the retry budget ran out. */
  outcome: 'ok' | 'fatal' | 'gave_up';
  ms: number;
  attempts: number;
}

/**
 * What the node learns from its order actors, declared once: the runtime takes them all, and
 * hands each to the layer (registry or actor) where it happens.
 */
export interface OrderHooks {
  /**
   * Every persisted event. A returned promise (the status announcement) is awaited before a
   * finished order leaves its shard's index: if this node dies in between, the order stays listed
   * and the next owner's recovery announces it again, so no watcher waits forever.
   */
  onEvent?(orderId: string, event: OrderEvent, state: OrderState): void | Promise<void>;
  /** A shard recovery woke this order: announce its state again (its last announcement may be lost). Awaited like onEvent's. */
  onRecovered?(orderId: string, state: OrderState): void | Promise<void>;
  /** One failed attempt of a step or compensation (a retry follows unless the budget is spent). */
  onAttemptFailed?(orderId: string, report: Extract<StepReport, { type: 'attempt-failed' }>): void;
  onStepFinished?(orderId: string, report: StepFinished): void;
  /** Another writer appended to this order's journal: its actor here stopped. */
  onFenced?(orderId: string): void;
  /** An actor found this state on (re)start or resume. */
  onResumed?(orderId: string, state: OrderState): void;
  /** An actor stopped (passivated, released, fenced). */
  onStopped?(orderId: string): void;
}
