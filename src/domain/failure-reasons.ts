import { FatalError } from './errors.js';

/**
 * What a customer reads when an order fails: a stable reason code and a message that says what
 * they can do. The seed platform found friendlier errors raised conversion; keep these actionable.
 */
const customerMessages: Record<string, string> = {
  CARD_DECLINED: 'Your card was declined. Choose another payment method and place the order again; you have not been charged.',
  PAYMENT_METHOD_EXPIRED: 'Your card has expired. Update it or choose another payment method.',
  FRAUD_REJECTED: 'We could not verify this order. Contact support to complete it; you have not been charged.',
  NO_COURIER: 'No courier can take this order right now. Try again in a few minutes or choose pickup; you have not been charged.',
  MERCHANT_REJECTED: 'The restaurant could not accept your order. Try another restaurant; you have not been charged.',
  ALREADY_CANCELLED: 'This order was cancelled.',
};

const serviceOfStep: Record<string, string> = {
  fraud: 'Our fraud check', authorize: 'The payment provider', delivery: 'The delivery service',
  merchant: 'The restaurant', capture: 'The payment provider',
};

export function customerMessage(reason: string): string {
  return customerMessages[reason] ?? 'We could not complete this order; you have not been charged. Please try again.';
}

export function fatalFromReason(reason: string): FatalError {
  return new FatalError(reason, customerMessage(reason));
}

/** A step whose service kept failing past its retry budget: the order fails cleanly instead of hanging. */
export function stepUnavailable(step: string, last: unknown): FatalError {
  const who = serviceOfStep[step] ?? 'A service we depend on';
  const detail = last instanceof Error ? last.message : String(last);
  return new FatalError(`${step.toUpperCase()}_UNAVAILABLE`, `${who} is not responding. You have not been charged; please try again in a few minutes.`, detail);
}
