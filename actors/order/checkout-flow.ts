import type { CheckoutSteps, StepName } from '../../src/domain/checkout-steps.js';
import type { FallbackDependency, FallbackRule } from '../../src/domain/fallbacks.js';
import type { OrderStatus, PricedOrder } from '../../src/domain/order.js';
import type { FallbackSettings } from '../../src/resilience/fallback-settings.js';
import type { RetryPolicy } from '../../src/resilience/retry.js';

/**
 * The checkout as a list: each step's call, the status it reaches, and how to undo it. The
 * order actor runs this list forwards and, on a fatal failure or a cancel, the compensations of
 * what was done backwards. Each call gets the idempotency key `<order id>:<step>` (the same on
 * every retry and every node); a compensation names that same key, so it can undo a call whose
 * answer was lost (and the service refuses the original call if it arrives after its undo).
 *
 * Each step also says how it meets an outage: each attempt's deadline, the retry budget, and
 * either a fallback (a non-critical step only) or, as `critical`, why it has none. A fallback is
 * taken only when the budget is spent on transient failures, never on a definitive "no", and is
 * journaled (FallbackTaken) before anything depends on it, so recovery replays it.
 */

/**
 * What a step can do instead once its service stayed unavailable past its budget. Without
 * `run`, the order proceeds as if the step had succeeded; with it, `run` is a second channel
 * that takes the step's place (under the same idempotency key, so one key is one result).
 */
export interface StepFallback {
  dependency: FallbackDependency;
  rule: FallbackRule;
  /** The business rule, as the README's policy table states it. */
  description: string;
  /** Whether this order may take it under these settings, and the words the journal keeps either way. */
  decide(order: PricedOrder, settings: FallbackSettings): { take: true; detail: string } | { take: false; why: string };
  run?: (steps: CheckoutSteps, order: PricedOrder) => Promise<string>;
}

export interface StepDefinition {
  name: StepName;
  /** The status the order has once this step succeeded. */
  reaches: OrderStatus;
  run(steps: CheckoutSteps, order: PricedOrder): Promise<string>;
  /** Each attempt's deadline: a call slower than this counts as a transient failure. */
  deadlineMs: number;
  /** Transient failures of `run` are retried within this budget; spent, the fallback or the compensations follow. */
  retry: RetryPolicy;
  compensate?: (steps: CheckoutSteps, order: PricedOrder) => Promise<void>;
  fallback?: StepFallback;
  /** Why the step has no fallback. */
  critical?: string;
}

/** A few quick retries: a checkout that waits minutes on one service is worse than a clean failure. */
const QUICK_RETRIES: RetryPolicy = { maxAttempts: 6, backoff: { initialMs: 50, maxMs: 2_000, multiplier: 2, jitter: 0.5 } };

/** Undo never gives up: an order must not stay half done, so compensations retry until answered. */
export const UNDO_RETRY: RetryPolicy = { maxAttempts: Number.POSITIVE_INFINITY, backoff: QUICK_RETRIES.backoff };

export const stepKey = (orderId: string, step: StepName): string => `${orderId}:${step}`;
export const compensationKey = (orderId: string, step: StepName): string => `${orderId}:${step}:undo`;

const key = (order: PricedOrder, step: StepName) => stepKey(order.orderId, step);
const undoKey = (order: PricedOrder, step: StepName) => compensationKey(order.orderId, step);

export const checkoutFlow: readonly StepDefinition[] = [
  {
    name: 'fraud',
    reaches: 'FRAUD_CHECKED',
    deadlineMs: 1_000,
    retry: QUICK_RETRIES,
    run: (s, o) => s.assessFraud(o, key(o, 'fraud')),
    fallback: {
      dependency: 'fraud', rule: 'ALLOW_SMALL_ORDER_UNCHECKED',
      description: 'an order whose total is at most FALLBACK_FRAUD_MAX_ORDER_MINOR goes on unassessed (recorded); a larger one fails with a retryable reason',
      decide(order, { fraud }) {
        if (!fraud.enabled) return { take: false, why: 'the fraud fallback is off' };
        if (order.totalMinor > fraud.maxOrderMinor) return { take: false, why: `total ${order.totalMinor} is above the unassessed limit ${fraud.maxOrderMinor}` };
        return { take: true, detail: `fraud check unavailable: total ${order.totalMinor} ${order.currency} within the unassessed limit ${fraud.maxOrderMinor}` };
      },
    },
  },
  {
    name: 'authorize',
    reaches: 'PAYMENT_AUTHORIZED',
    deadlineMs: 2_000,
    retry: QUICK_RETRIES,
    run: (s, o) => s.authorizePayment(o, key(o, 'authorize')),
    compensate: (s, o) => s.voidAuthorization(o, undoKey(o, 'authorize'), key(o, 'authorize')),
    critical: 'only the payment provider can hold the money; an order without an authorisation is one nobody pays for',
  },
  {
    name: 'delivery',
    reaches: 'DELIVERY_CREATED',
    deadlineMs: 2_000,
    retry: QUICK_RETRIES,
    run: (s, o) => s.createDelivery(o, key(o, 'delivery')),
    compensate: (s, o) => s.cancelDelivery(o, undoKey(o, 'delivery'), key(o, 'delivery')),
    critical: 'a paid order with no courier booked is food nobody brings',
  },
  {
    name: 'merchant',
    reaches: 'SENT_TO_MERCHANT',
    deadlineMs: 2_000,
    retry: QUICK_RETRIES,
    run: (s, o) => s.sendToMerchant(o, key(o, 'merchant')),
    compensate: (s, o) => s.cancelTicket(o, undoKey(o, 'merchant'), key(o, 'merchant')),
    fallback: {
      dependency: 'merchant_tablet', rule: 'PHONE_CHANNEL',
      description: "the order is phoned through to the restaurant (the merchant service's call-centre queue) under the same key, so it still opens exactly one ticket; the restaurant's refusal is final on either channel",
      decide: (_order, { merchantChannel }) => (merchantChannel.enabled
        ? { take: true, detail: 'merchant tablet unreachable: order phoned through to the restaurant' }
        : { take: false, why: 'the phone channel is off' }),
      run: (s, o) => s.phoneOrderToMerchant(o, key(o, 'merchant')),
    },
  },
  {
    name: 'capture',
    reaches: 'COMPLETED',
    deadlineMs: 2_000,
    retry: QUICK_RETRIES,
    run: (s, o) => s.capturePayment(o, key(o, 'capture'), key(o, 'authorize')),
    compensate: (s, o) => s.refundCapture(o, undoKey(o, 'capture'), key(o, 'capture')),
    critical: 'taking the money is the payment provider\'s alone; the authorisation is voided if it never answers',
  },
];

export function stepDefinition(name: StepName): StepDefinition {
  const step = checkoutFlow.find((s) => s.name === name);
  if (!step) throw new Error(`unknown step ${name}`);
  return step;
}
