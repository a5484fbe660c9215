import { FAULT_KINDS, OPERATIONS, isValidTarget } from '../clients/downstream-operations.js';
import type { FaultRule } from '../generated/downstream/v1/FaultRule.js';

export const MAX_FAULT_RULES = 20;

/** What the page offers: the targets and kinds a rule may name. */
export const faultChoices = () => ({ targets: ['*', ...new Set(OPERATIONS.map((op) => `${op.slice(0, op.indexOf('.'))}.*`)), ...OPERATIONS], kinds: [...FAULT_KINDS] });

export type ParsedFaults = { ok: true; rules: FaultRule[] } | { ok: false; problem: string };

/**
 * Pure: `{"rules":[{"target":"payments.Authorize","kind":"UNAVAILABLE","rate":0.3,"firstCalls":0}]}`
 * as SetFaults rules; an empty list clears the rules set earlier. Names the first bad field.
 */
export function parseFaultRequest(body: unknown): ParsedFaults {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { rules?: unknown }).rules)) return { ok: false, problem: 'body must be {"rules": [...]}' };
  const given = (body as { rules: unknown[] }).rules;
  if (given.length > MAX_FAULT_RULES) return { ok: false, problem: `at most ${MAX_FAULT_RULES} rules` };
  const rules: FaultRule[] = [];
  for (const [i, r] of given.entries()) {
    if (typeof r !== 'object' || r === null) return { ok: false, problem: `rules[${i}] must be an object` };
    const { target, kind, rate = 0, firstCalls = 0 } = r as Record<string, unknown>;
    if (typeof target !== 'string' || !isValidTarget(target)) return { ok: false, problem: `rules[${i}].target must be "*", "<service>.*" or an operation such as payments.Authorize` };
    if (typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind)) return { ok: false, problem: `rules[${i}].kind must be one of ${FAULT_KINDS.join(', ')}` };
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) return { ok: false, problem: `rules[${i}].rate must be a number in [0, 1] (0 = always)` };
    if (typeof firstCalls !== 'number' || !Number.isInteger(firstCalls) || firstCalls < 0 || firstCalls > 1_000) return { ok: false, problem: `rules[${i}].firstCalls must be a whole number in [0, 1000]` };
    rules.push({ target, kind: kind as FaultRule['kind'], rate, firstCalls });
  }
  return { ok: true, rules };
}
