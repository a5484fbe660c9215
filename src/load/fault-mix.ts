import type { DownstreamClients } from '../clients/downstream-clients.js';
import { FAULT_KINDS, OPERATIONS, type FaultKind } from '../clients/downstream-operations.js';
import type { FaultRule } from '../generated/downstream/v1/FaultRule.js';

/*
 * A load run's fault mix: `payments.capture=0.05,fraud.assess=0.02` — each call to the target
 * fails with that probability. What the downstream admin API (proto/downstream/v1/admin.proto)
 * can inject, and nothing more: a target is an operation ("<service>.<Method>", any case), a
 * service ("payments.*") or "*"; the kind is transient UNAVAILABLE unless named after a colon
 * (`payments.authorize=0.01:CARD_DECLINED`).
 */


export interface FaultMixEntry {
  target: string;
  rate: number;
  kind: FaultKind;
}

const KINDS: readonly string[] = FAULT_KINDS;
const SERVICES = [...new Set(OPERATIONS.map((op) => op.slice(0, op.indexOf('.'))))];

/** The target as the admin API spells it, or undefined if there is no such operation or service. */
export function canonicalTarget(target: string): string | undefined {
  const wanted = target.trim().toLowerCase();
  if (wanted === '*') return '*';
  if (wanted.endsWith('.*')) return SERVICES.find((s) => `${s}.*` === wanted) && wanted;
  return OPERATIONS.find((op) => op.toLowerCase() === wanted);
}

/** Parses a fault mix; throws a RangeError naming the part to fix. An empty string is no faults. */
export function parseFaultMix(text: string): FaultMixEntry[] {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  return parts.map((part) => {
    const match = /^([^=]+)=([^:]+)(?::(.+))?$/.exec(part);
    if (!match) throw new RangeError(`fault "${part}": write <service>.<method>=<probability>[:<kind>], e.g. payments.capture=0.05`);
    const [, rawTarget, rawRate, rawKind] = match;
    const target = canonicalTarget(rawTarget!);
    if (!target) throw new RangeError(`fault "${part}": no such target; use one of ${OPERATIONS.join(', ')}, <service>.* or *`);
    const rate = Number(rawRate);
    if (!Number.isFinite(rate) || rate <= 0 || rate > 1) throw new RangeError(`fault "${part}": the probability must be in (0, 1]`);
    const kind = (rawKind?.trim().toUpperCase() ?? 'UNAVAILABLE');
    if (!KINDS.includes(kind)) throw new RangeError(`fault "${part}": kind must be one of ${KINDS.join(', ')}`);
    return { target, rate, kind: kind as FaultKind };
  });
}

export const formatFaultMix = (mix: readonly FaultMixEntry[]): string =>
  mix.length ? mix.map((f) => `${f.target}=${f.rate}${f.kind === 'UNAVAILABLE' ? '' : `:${f.kind}`}`).join(',') : 'none';

export const faultRules = (mix: readonly FaultMixEntry[]): FaultRule[] => mix.map((f) => ({ target: f.target, kind: f.kind, rate: f.rate }));

/**
 * Sets the mix on the downstream services; the returned function takes it off again. SetFaults
 * replaces the rules set at run time, so clearing leaves only the built-in business rules.
 */
export async function applyFaultMix(admin: DownstreamClients['admin'], mix: readonly FaultMixEntry[]): Promise<() => Promise<void>> {
  if (mix.length === 0) return async () => undefined;
  await admin.setFaults({ rules: faultRules(mix) });
  return async () => { await admin.setFaults({ rules: [] }); };
}
