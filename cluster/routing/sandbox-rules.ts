import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Which set of nodes runs an order: the main pool, or the sandbox pool (its own commands topic). */
export type Pool = 'main' | 'sandbox';

/** One rule, compiled for matching; an order goes to the sandbox when any rule matches it. */
export type SandboxRule =
  | { kind: 'consumers'; name?: string; ids: ReadonlySet<string> }
  | { kind: 'merchants'; name?: string; ids: ReadonlySet<string> }
  | { kind: 'percent'; name?: string; percent: number };

export interface SandboxRules { readonly rules: readonly SandboxRule[] }

/** Everything runs in the main pool. */
export const NO_SANDBOX_RULES: SandboxRules = { rules: [] };

/** A rules document that cannot be used; the message names every bad rule and what is wrong with it. */
export class SandboxRulesError extends Error {
  override readonly name = 'SandboxRulesError';
  constructor(readonly problems: string[]) {
    super(`invalid sandbox rules:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

const id = z.string().trim().min(1, 'ids must not be empty').max(200);
const ids = z.array(id).min(1, 'list at least one id');
const name = z.string().max(200).optional();
const KINDS = ['consumerIds', 'merchantIds', 'percent'] as const;

const ruleSchemas = {
  consumerIds: z.strictObject({ name, consumerIds: ids }),
  merchantIds: z.strictObject({ name, merchantIds: ids }),
  percent: z.strictObject({ name, percent: z.number().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100') }),
};

const documentSchema = z.strictObject({ rules: z.array(z.unknown()) });

/**
 * The rules file's format:
 *
 *     { "rules": [ { "consumerIds": ["c-beta-1"] }, { "merchantIds": ["m-7"] }, { "percent": 5 } ] }
 *
 * Each rule has exactly one of `consumerIds`, `merchantIds`, `percent` (0–100, of consumers), and
 * may have a `name` for logs. Unknown fields are refused, so a typo cannot silently match nothing.
 * All or nothing: one bad rule and the whole document is refused.
 */
export function parseSandboxRules(text: string): SandboxRules {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SandboxRulesError([`not valid JSON: ${(err as Error).message}`]);
  }
  const doc = documentSchema.safeParse(json);
  if (!doc.success) throw new SandboxRulesError(doc.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'document'}: ${i.message}${i.path.length ? '' : ' (expected { "rules": [ … ] })'}`));
  const problems: string[] = [];
  const rules: SandboxRule[] = [];
  doc.data.rules.forEach((raw, index) => {
    const label = `rule ${index + 1}${labelName(raw)}`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push(`${label}: must be an object such as { "consumerIds": ["c-1"] }`);
      return;
    }
    const kinds = KINDS.filter((k) => k in raw);
    if (kinds.length !== 1) {
      const found = Object.keys(raw).filter((k) => k !== 'name');
      const detail = kinds.length > 1 ? ` (has ${kinds.join(' and ')}: use one rule for each)` : found.length ? ` (found ${found.join(', ')})` : '';
      problems.push(`${label}: needs exactly one of ${KINDS.join(', ')}${detail}`);
      return;
    }
    const kind = kinds[0]!;
    const parsed = ruleSchemas[kind].safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${label}: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
      return;
    }
    rules.push(compile(parsed.data));
  });
  if (problems.length) throw new SandboxRulesError(problems);
  return { rules };
}

function labelName(raw: unknown): string {
  const n = raw !== null && typeof raw === 'object' ? (raw as { name?: unknown }).name : undefined;
  return typeof n === 'string' && n ? ` ("${n.slice(0, 60)}")` : '';
}

function compile(rule: { name?: string | undefined; consumerIds?: string[]; merchantIds?: string[]; percent?: number }): SandboxRule {
  const named = rule.name ? { name: rule.name } : {};
  if (rule.consumerIds) return { kind: 'consumers', ...named, ids: new Set(rule.consumerIds) };
  if (rule.merchantIds) return { kind: 'merchants', ...named, ids: new Set(rule.merchantIds) };
  return { kind: 'percent', ...named, percent: rule.percent ?? 0 };
}

/** Percentages are taken in hundredths of a percent: `percent: 0.25` is 25 of 10 000 buckets. */
const BUCKETS = 10_000;

/**
 * The consumer's bucket in [0, 10 000): a hash of its id alone, the same on every node and
 * restart, so all of one consumer's orders go the same way, and raising a percentage only adds
 * consumers to the sandbox (those below the old threshold stay).
 */
export function consumerBucket(consumerId: string): number {
  return createHash('sha256').update(consumerId).digest().readUInt32BE(0) % BUCKETS;
}

/** The rule that sends this order to the sandbox, if any. */
export function matchingRule(rules: SandboxRules, order: { consumerId: string; merchantId: string }): SandboxRule | undefined {
  return rules.rules.find((rule) => {
    if (rule.kind === 'consumers') return rule.ids.has(order.consumerId);
    if (rule.kind === 'merchants') return rule.ids.has(order.merchantId);
    return consumerBucket(order.consumerId) < Math.round(rule.percent * (BUCKETS / 100));
  });
}

/** Where an order runs under these rules: the sandbox when any rule matches it, else main. */
export function routeOrder(rules: SandboxRules, order: { consumerId: string; merchantId: string }): Pool {
  return matchingRule(rules, order) ? 'sandbox' : 'main';
}
