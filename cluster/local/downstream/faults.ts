import type { FaultRule__Output } from '../../../src/generated/downstream/v1/FaultRule.js';
import {
  DownstreamError,
  failedPrecondition,
  invalidArgument,
  isTransientReason,
  transientError,
} from './downstream-errors.js';
import {
  FAULT_KINDS, isValidTarget, targetMatches, type FatalFaultKind, type FaultKind, type Operation,
} from '../../../src/clients/downstream-operations.js';
import { seededRandom, type Random } from './random.js';


/** What a call is about; a rule's match conditions are compared with it. */
export interface FaultContext {
  orderId?: string;
  cardLast4?: string;
  merchantId?: string;
  postalCode?: string;
  consumerId?: string;
}

export interface FaultSpec {
  /** "*", "<service>.*" or "<service>.<Method>". */
  target: string;
  kind: FaultKind;
  /** Every condition given must equal the call's; a call that lacks the attribute does not match. */
  match?: FaultContext;
  /** Probability in [0, 1] that a matching call fails; unset or 0 means always. */
  rate?: number;
  /** Only the first k matching calls per idempotency key fail (each with probability `rate`). */
  firstCalls?: number;
  /** Transient kinds only: apply the operation, then answer with the error anyway. */
  applyThenFail?: boolean;
}

export interface FiredFault {
  rule: FaultSpec;
  error: DownstreamError;
  applyThenFail: boolean;
}

export interface FaultInjector {
  /** Replaces the rules set earlier (the built-in ones stay); a non-zero seed restarts the random stream. */
  setRules(rules: readonly FaultSpec[], seed?: number): void;
  /** Drops the rules set at run time and brings the built-in ones back, unless told to drop them too. */
  reset(opts: { clearDefaults: boolean }): void;
  rules(): FaultSpec[];
  /** The transient fault this call suffers, if any. Checked before the key's recorded outcome. */
  transient(operation: Operation, context: FaultContext, callKey: string): FiredFault | undefined;
  /** The business refusal this call gets, if any. Checked only for a key with no outcome yet. */
  fatal(operation: Operation, context: FaultContext, callKey: string): FiredFault | undefined;
}

/**
 * Rules set at run time come before the built-in ones; the first matching rule that fires wins.
 * first_calls counts per rule and key, so replacing the rules starts every count again.
 */
export function createFaultInjector(opts: { defaults: readonly FaultSpec[]; seed: number }): FaultInjector {
  let extra: FaultSpec[] = [];
  let defaults: readonly FaultSpec[] = opts.defaults;
  let random: Random = seededRandom(opts.seed);
  let seen = new Map<FaultSpec, Map<string, number>>();

  const fires = (rule: FaultSpec, operation: Operation, context: FaultContext, callKey: string): boolean => {
    if (!targetMatches(rule.target, operation) || !matches(rule.match, context)) return false;
    if (rule.firstCalls && rule.firstCalls > 0) {
      const perKey = seen.get(rule) ?? new Map<string, number>();
      seen.set(rule, perKey);
      const n = (perKey.get(callKey) ?? 0) + 1;
      perKey.set(callKey, n);
      if (n > rule.firstCalls) return false;
    }
    return !rule.rate || rule.rate >= 1 || random() < rule.rate;
  };

  const first = (transient: boolean, operation: Operation, context: FaultContext, callKey: string): FiredFault | undefined => {
    for (const rule of [...extra, ...defaults]) {
      if (isTransientReason(rule.kind) !== transient) continue;
      if (fires(rule, operation, context, callKey)) {
        return { rule, error: faultError(rule.kind, operation), applyThenFail: transient && rule.applyThenFail === true };
      }
    }
    return undefined;
  };

  return {
    setRules(rules, seed) {
      extra = rules.map(checkFaultSpec);
      seen = new Map();
      if (seed) random = seededRandom(seed);
    },
    reset({ clearDefaults }) {
      extra = [];
      defaults = clearDefaults ? [] : opts.defaults;
      seen = new Map();
    },
    rules: () => [...extra, ...defaults],
    transient: (operation, context, callKey) => first(true, operation, context, callKey),
    fatal: (operation, context, callKey) => first(false, operation, context, callKey),
  };
}

function matches(match: FaultContext | undefined, context: FaultContext): boolean {
  if (!match) return true;
  return (Object.keys(match) as Array<keyof FaultContext>).every((k) => !match[k] || match[k] === context[k]);
}

function faultError(kind: FaultKind, operation: Operation): DownstreamError {
  if (isTransientReason(kind)) return transientError(kind, `injected ${kind} on ${operation}`);
  return failedPrecondition(kind, FATAL_MESSAGES[kind]);
}

const FATAL_MESSAGES: Record<FatalFaultKind, string> = {
  CARD_DECLINED: 'the card was declined',
  FRAUD_REJECTED: 'the order was rejected by the fraud check',
  NO_COURIER: 'no courier is available for this address',
  MERCHANT_REJECTED: 'the restaurant rejected the order',
};

/** Validates a rule (throws INVALID_ARGUMENT naming the field) and returns it unchanged. */
export function checkFaultSpec(rule: FaultSpec): FaultSpec {
  if (!isValidTarget(rule.target)) throw invalidArgument('target', `unknown fault target "${rule.target}"`);
  if (!FAULT_KINDS.includes(rule.kind)) throw invalidArgument('kind', `unknown fault kind "${String(rule.kind)}"`);
  const rate = rule.rate ?? 0;
  if (!(rate >= 0 && rate <= 1)) throw invalidArgument('rate', `rate must be in [0, 1], got ${rate}`);
  const firstCalls = rule.firstCalls ?? 0;
  if (!Number.isInteger(firstCalls) || firstCalls < 0) throw invalidArgument('first_calls', 'first_calls must be a non-negative integer');
  if (rule.applyThenFail && !isTransientReason(rule.kind)) {
    throw invalidArgument('apply_then_fail', 'apply_then_fail is only meaningful for transient kinds');
  }
  return rule;
}

/** The run-time form of a rule received by SetFaults (unset proto fields arrive as "" and 0). */
export function faultSpecFromProto(rule: FaultRule__Output): FaultSpec {
  const match: FaultContext = {};
  if (rule.matchOrderId) match.orderId = rule.matchOrderId;
  if (rule.matchCardLast4) match.cardLast4 = rule.matchCardLast4;
  if (rule.matchMerchantId) match.merchantId = rule.matchMerchantId;
  if (rule.matchPostalCode) match.postalCode = rule.matchPostalCode;
  if (rule.matchConsumerId) match.consumerId = rule.matchConsumerId;
  return checkFaultSpec({
    target: rule.target,
    kind: rule.kind as FaultKind,
    match,
    rate: rule.rate,
    firstCalls: rule.firstCalls,
    applyThenFail: rule.applyThenFail,
  });
}
