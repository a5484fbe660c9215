/** Every operation the simulators serve, named "<service>.<Method>" as fault and latency targets use. */
export const OPERATIONS = [
  'catalog.GetMerchant',
  'catalog.GetMenu',
  'catalog.GetConsumer',
  'catalog.GetPaymentMethod',
  'catalog.GetPromotion',
  'fraud.Assess',
  'payments.Authorize',
  'payments.Capture',
  'payments.Void',
  'payments.Refund',
  'logistics.QuoteDelivery',
  'logistics.CreateDelivery',
  'logistics.CancelDelivery',
  'merchant.SendOrder',
  'merchant.PhoneOrder',
  'merchant.CancelTicket',
] as const;

export type Operation = (typeof OPERATIONS)[number];

const SERVICES = new Set(OPERATIONS.map((op) => op.slice(0, op.indexOf('.'))));

/**
 * A target is "*", "<service>.*" or one operation. Checked when rules are set, so a typo is an
 * INVALID_ARGUMENT rather than a rule that silently never fires.
 */
export function isValidTarget(target: string): boolean {
  if (target === '*') return true;
  if (target.endsWith('.*')) return SERVICES.has(target.slice(0, -2));
  return (OPERATIONS as readonly string[]).includes(target);
}

export function targetMatches(target: string, operation: Operation): boolean {
  if (target === '*' || target === operation) return true;
  return target.endsWith('.*') && operation.startsWith(target.slice(0, -1));
}

/** Higher is more specific: an operation beats its service's wildcard, which beats "*". */
export function targetSpecificity(target: string): number {
  if (target === '*') return 0;
  return target.endsWith('.*') ? 1 : 2;
}

/**
 * What the admin API can inject: a transient kind fails a call without applying it (the caller
 * retries with the same key); a fatal kind is a business refusal, final for the key.
 */
export const TRANSIENT_FAULT_KINDS = ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED'] as const;
export const FATAL_FAULT_KINDS = ['CARD_DECLINED', 'FRAUD_REJECTED', 'NO_COURIER', 'MERCHANT_REJECTED'] as const;
export type TransientFaultKind = (typeof TRANSIENT_FAULT_KINDS)[number];
export type FatalFaultKind = (typeof FATAL_FAULT_KINDS)[number];
export type FaultKind = TransientFaultKind | FatalFaultKind;
export const FAULT_KINDS: readonly FaultKind[] = [...TRANSIENT_FAULT_KINDS, ...FATAL_FAULT_KINDS];
