import { invalidArgument } from './downstream-errors.js';
import { isValidTarget, targetMatches, targetSpecificity, type Operation } from '../../../src/clients/downstream-operations.js';
import type { Random } from './random.js';

export interface LatencySpec {
  /** "*", "<service>.*" or "<service>.<Method>"; the most specific matching rule applies. */
  target: string;
  fixedMs: number;
  /** A uniform extra delay in [0, jitterMs). */
  jitterMs?: number;
}

export interface LatencyTable {
  /** Replaces every rule, including those the server started with. */
  set(rules: readonly LatencySpec[]): void;
  /** Back to the rules the server started with. */
  reset(): void;
  rules(): LatencySpec[];
  delayFor(operation: Operation): number;
}

const MAX_DELAY_MS = 60_000;

export function createLatencyTable(opts: { initial: readonly LatencySpec[]; random: Random }): LatencyTable {
  const initial = opts.initial.map(checkLatencySpec);
  let rules: LatencySpec[] = [...initial];

  return {
    set(next) {
      rules = next.map(checkLatencySpec);
    },
    reset() {
      rules = [...initial];
    },
    rules: () => [...rules],
    delayFor(operation) {
      let best: LatencySpec | undefined;
      for (const rule of rules) {
        if (!targetMatches(rule.target, operation)) continue;
        if (!best || targetSpecificity(rule.target) > targetSpecificity(best.target)) best = rule;
      }
      if (!best) return 0;
      return best.fixedMs + Math.floor(opts.random() * (best.jitterMs ?? 0));
    },
  };
}

/** Validates a rule (throws INVALID_ARGUMENT naming the field) and returns it unchanged. */
export function checkLatencySpec(rule: LatencySpec): LatencySpec {
  if (!isValidTarget(rule.target)) throw invalidArgument('target', `unknown latency target "${rule.target}"`);
  for (const [field, value] of [['fixed_ms', rule.fixedMs], ['jitter_ms', rule.jitterMs ?? 0]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_DELAY_MS) {
      throw invalidArgument(field, `${field} must be an integer in [0, ${MAX_DELAY_MS}], got ${value}`);
    }
  }
  return rule;
}
