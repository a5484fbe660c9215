import type { StepName } from '../../src/domain/checkout-steps.js';
import type { FallbackSettings } from '../../src/resilience/fallback-settings.js';
import { stepDefinition } from './checkout-flow.js';
import type { OrderEvent } from './order-events.js';
import { onSecondChannel, type OrderState } from './order-state.js';

type FallbackEvent = Omit<Extract<OrderEvent, { type: 'FallbackTaken' }>, 'attempts' | 'v' | 'at' | 'node'>;

/**
 * Whether a step whose service stayed unavailable past its budget takes its fallback. Decided
 * once, by the live actor, with the node's settings; the answer is journaled (FallbackTaken) and
 * replay only folds it. Undefined: the step has no fallback, or has used it already (its second
 * channel failed too), so the order fails as it would without one.
 */
export function fallbackDecision(state: OrderState, step: StepName, settings: FallbackSettings):
  { take: true; event: FallbackEvent } | { take: false; why: string } | undefined {
  const fallback = stepDefinition(step).fallback;
  if (!fallback || !state.order || onSecondChannel(state, step)) return undefined;
  const decision = fallback.decide(state.order, settings);
  if (!decision.take) return decision;
  return {
    take: true,
    event: {
      type: 'FallbackTaken', step, dependency: fallback.dependency, rule: fallback.rule,
      then: fallback.run ? 'second-channel' : 'proceed', detail: decision.detail,
    },
  };
}
