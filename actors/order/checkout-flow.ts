import type { CheckoutSteps, StepName } from '../../src/domain/checkout-steps.js';
import type { OrderStatus, PricedOrder } from '../../src/domain/order.js';
import type { RetryPolicy } from '../../src/resilience/retry.js';

/**
 * The checkout as a list: each step's call, the status it reaches, and how to undo it. The
 * order actor runs this list forwards and, on a fatal failure or a cancel, the compensations of
 * what was done backwards. Each call gets the idempotency key `<order id>:<step>` (the same on
 * every retry and every node); a compensation names that same key, so it can undo a call whose
 * answer was lost (and the service refuses the original call if it arrives after its undo).
 */

export interface StepDefinition {
  name: StepName;
  /** The status the order has once this step succeeded. */
  reaches: OrderStatus;
  run(steps: CheckoutSteps, order: PricedOrder): Promise<string>;
  /** Transient failures of `run` are retried within this budget; spent, the order compensates instead of hanging. */
  retry: RetryPolicy;
  compensate?: (steps: CheckoutSteps, order: PricedOrder) => Promise<void>;
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
    retry: QUICK_RETRIES,
    run: (s, o) => s.assessFraud(o, key(o, 'fraud')),
  },
  {
    name: 'authorize',
    reaches: 'PAYMENT_AUTHORIZED',
    retry: QUICK_RETRIES,
    run: (s, o) => s.authorizePayment(o, key(o, 'authorize')),
    compensate: (s, o) => s.voidAuthorization(o, undoKey(o, 'authorize'), key(o, 'authorize')),
  },
  {
    name: 'delivery',
    reaches: 'DELIVERY_CREATED',
    retry: QUICK_RETRIES,
    run: (s, o) => s.createDelivery(o, key(o, 'delivery')),
    compensate: (s, o) => s.cancelDelivery(o, undoKey(o, 'delivery'), key(o, 'delivery')),
  },
  {
    name: 'merchant',
    reaches: 'SENT_TO_MERCHANT',
    retry: QUICK_RETRIES,
    run: (s, o) => s.sendToMerchant(o, key(o, 'merchant')),
    compensate: (s, o) => s.cancelTicket(o, undoKey(o, 'merchant'), key(o, 'merchant')),
  },
  {
    name: 'capture',
    reaches: 'COMPLETED',
    retry: QUICK_RETRIES,
    run: (s, o) => s.capturePayment(o, key(o, 'capture'), key(o, 'authorize')),
    compensate: (s, o) => s.refundCapture(o, undoKey(o, 'capture'), key(o, 'capture')),
  },
];

export function stepDefinition(name: StepName): StepDefinition {
  const step = checkoutFlow.find((s) => s.name === name);
  if (!step) throw new Error(`unknown step ${name}`);
  return step;
}
