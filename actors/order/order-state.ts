import { isTerminal, type OrderStatus, type PricedOrder } from '../../src/domain/order.js';
import type { StepName } from '../../src/domain/checkout-steps.js';
import type { FallbackTaken } from '../../src/domain/fallbacks.js';
import { checkoutFlow } from './checkout-flow.js';
import type { OrderEvent } from './order-events.js';

export interface Compensation {
  cause: 'failure' | 'cancel';
  reason: string;
  message: string;
  failedStep?: StepName;
  /** Steps still to undo, in the order they will be undone (reverse of how they ran). */
  pending: StepName[];
}

/** An order's state: only ever built by folding its events with `applyOrderEvent`. */
export interface OrderState {
  status: OrderStatus | 'NEW';
  order?: PricedOrder;
  completed: Partial<Record<StepName, { resultId: string; attempts: number }>>;
  compensation?: Compensation;
  compensated: StepName[];
  /** Whether any step needed more than one attempt: a completed order like that was saved by retry. */
  retried: boolean;
  /** Every fallback taken, pricing's (from OrderPlaced) first: a completed order with any was saved by fallback. */
  fallbacks: FallbackTaken[];
  version: number;
  updatedAt: number;
}

export const emptyOrderState: OrderState = Object.freeze({
  status: 'NEW', completed: {}, compensated: [], retried: false, fallbacks: [], version: 0, updatedAt: 0,
}) as OrderState;

/** The pure event handler: recovery is just this fold over the journal. */
export function applyOrderEvent(state: OrderState, event: OrderEvent): OrderState {
  const next = { ...state, version: state.version + 1, updatedAt: event.at };
  switch (event.type) {
    case 'OrderPlaced':
      return { ...next, status: 'PLACED', order: event.order, fallbacks: event.order.fallbacks ?? [] };
    case 'StepSucceeded': {
      const step = checkoutFlow.find((s) => s.name === event.step);
      const completed = { ...state.completed, [event.step]: { resultId: event.resultId, attempts: event.attempts } };
      const retried = state.retried || event.attempts > 1;
      // A late success after the order began compensating changes nothing: that step is undone anyway.
      if (state.compensation || !step) return { ...next, completed, retried };
      return { ...next, completed, retried, status: step.reaches };
    }
    case 'StepFailed':
      return {
        ...next,
        retried: state.retried || event.attempts > 1,
        status: 'COMPENSATING',
        compensation: {
          cause: 'failure', reason: event.reason, message: event.message, failedStep: event.step,
          pending: stepsToUndo(state, event.definitive ? undefined : event.step),
        },
      };
    case 'FallbackTaken': {
      const step = checkoutFlow.find((s) => s.name === event.step);
      const fallbacks = [...fallbacksOf(state), { dependency: event.dependency, rule: event.rule, detail: event.detail, step: event.step, at: event.at }];
      // A second channel changes which call runs next (see nextAction); "proceed" completes the step.
      if (event.then === 'second-channel' || state.compensation || !step) return { ...next, fallbacks };
      const completed = { ...state.completed, [event.step]: { resultId: `fallback:${event.rule}`, attempts: event.attempts } };
      return { ...next, fallbacks, completed, status: step.reaches };
    }
    case 'CancelRequested':
      return {
        ...next,
        // A cancel can overtake its order's place command (they come from different nodes'
        // producers): the order stays NEW, and closes CANCELLED as soon as it is placed.
        status: state.status === 'NEW' ? 'NEW' : 'COMPENSATING',
        compensation: {
          cause: 'cancel', reason: 'CANCELLED_BY_CUSTOMER', message: event.reason || 'The order was cancelled.',
          pending: stepsToUndo(state, frontierStep(state)),
        },
      };
    case 'StepCompensated': {
      const pending = state.compensation?.pending.filter((s) => s !== event.step) ?? [];
      return {
        ...next,
        compensated: [...state.compensated, event.step],
        compensation: state.compensation && { ...state.compensation, pending },
      };
    }
    case 'OrderClosed':
      return { ...next, status: event.outcome };
  }
}

/** Snapshots taken before fallbacks existed lack the field. */
export const fallbacksOf = (state: OrderState): FallbackTaken[] => state.fallbacks ?? [];

/** Whether the step's second channel has replaced its first (its fallback was taken). */
export const onSecondChannel = (state: OrderState, step: StepName): boolean => fallbacksOf(state).some((f) => f.step === step);

/** Completed steps plus one whose outcome is unknown, newest first, keeping those that can be undone. */
function stepsToUndo(state: OrderState, unknownOutcome: StepName | undefined): StepName[] {
  return checkoutFlow
    .filter((s) => s.compensate && (state.completed[s.name] !== undefined || s.name === unknownOutcome))
    .map((s) => s.name)
    .reverse();
}

/** The first step not yet completed: the one running (or about to) while the order is live. */
export function frontierStep(state: OrderState): StepName | undefined {
  return checkoutFlow.find((s) => state.completed[s.name] === undefined)?.name;
}

export type NextAction =
  | { kind: 'wait' }
  /** `channel`: the step's own call, or its second channel once that fallback was taken. */
  | { kind: 'run'; step: StepName; channel: 'primary' | 'second' }
  | { kind: 'compensate'; step: StepName }
  | { kind: 'close'; outcome: 'FAILED' | 'CANCELLED' };

/** What the order does next, from its state alone: the same answer on every node and after any restart. */
export function nextAction(state: OrderState): NextAction {
  if (state.status === 'NEW' || isTerminal(state.status)) return { kind: 'wait' };
  if (state.compensation) {
    const step = state.compensation.pending[0];
    if (step) return { kind: 'compensate', step };
    return { kind: 'close', outcome: state.compensation.cause === 'cancel' ? 'CANCELLED' : 'FAILED' };
  }
  const step = frontierStep(state);
  return step ? { kind: 'run', step, channel: onSecondChannel(state, step) ? 'second' : 'primary' } : { kind: 'wait' };
}
