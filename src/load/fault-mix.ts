import type { DownstreamClients } from '../clients/downstream-clients.js';
import { FAULT_KINDS, OPERATIONS, type FaultKind } from '../clients/downstream-operations.js';
import type { FaultRule } from '../generated/downstream/v1/FaultRule.js';

/*
 * A load run's fault mix: `payments.capture=0.05,fraud.assess=0.02` — each call to the target
 * fails with that probability. What the downstream admin API (proto/downstream/v1/admin.proto)
 * can inject, and nothing more: a target is an operation ("<service>.<Method>", any case), a
 * service ("payments.*") or "*"; the kind is transient UNAVAILABLE unless named after a colon
 * (`payments.authorize=0.01:CARD_DECLINED`). An entry may hold only for a window of the run,
 * `@<from>-<to>` after its start (`fraud.assess=1@20s-50s`: fraud down from 20 s to 50 s), which
 * is how a load takes a dependency down for a while and shows what retries and fallbacks save.
 */


export interface FaultMixEntry {
  target: string;
  rate: number;
  kind: FaultKind;
  /** In force only from `fromMs` to `toMs` after the run starts; always when absent. */
  window?: { fromMs: number; toMs: number };
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
    const match = /^([^=]+)=([^:@]+)(?::([^@]+))?(?:@(.+))?$/.exec(part);
    if (!match) throw new RangeError(`fault "${part}": write <service>.<method>=<probability>[:<kind>][@<from>-<to>], e.g. payments.capture=0.05`);
    const [, rawTarget, rawRate, rawKind, rawWindow] = match;
    const target = canonicalTarget(rawTarget!);
    if (!target) throw new RangeError(`fault "${part}": no such target; use one of ${OPERATIONS.join(', ')}, <service>.* or *`);
    const rate = Number(rawRate);
    if (!Number.isFinite(rate) || rate <= 0 || rate > 1) throw new RangeError(`fault "${part}": the probability must be in (0, 1]`);
    const kind = (rawKind?.trim().toUpperCase() ?? 'UNAVAILABLE');
    if (!KINDS.includes(kind)) throw new RangeError(`fault "${part}": kind must be one of ${KINDS.join(', ')}`);
    return { target, rate, kind: kind as FaultKind, ...(rawWindow === undefined ? {} : { window: parseWindow(rawWindow, part) }) };
  });
}

/** `20s-50s`, `500ms-2m`, `10-40` (seconds): from before to, both from the run's start. */
function parseWindow(text: string, part: string): { fromMs: number; toMs: number } {
  const [from, to, ...rest] = text.split('-').map((t) => durationMs(t.trim()));
  if (from === undefined || to === undefined || rest.length > 0 || Number.isNaN(from) || Number.isNaN(to) || !(to > from)) {
    throw new RangeError(`fault "${part}": the window is @<from>-<to> after the start, e.g. @20s-50s, with from before to`);
  }
  return { fromMs: from, toMs: to };
}

function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1_000;
}

const windowText = (w: FaultMixEntry['window']) => (w ? `@${w.fromMs / 1000}s-${w.toMs / 1000}s` : '');

export const formatFaultMix = (mix: readonly FaultMixEntry[]): string =>
  mix.length ? mix.map((f) => `${f.target}=${f.rate}${f.kind === 'UNAVAILABLE' ? '' : `:${f.kind}`}${windowText(f.window)}`).join(',') : 'none';

/** The rules in force `atMs` after the start (every entry without a window, and those whose window is open). */
export const faultRules = (mix: readonly FaultMixEntry[], atMs = 0): FaultRule[] => mix
  .filter((f) => !f.window || (atMs >= f.window.fromMs && atMs < f.window.toMs))
  .map((f) => ({ target: f.target, kind: f.kind, rate: f.rate }));

/**
 * Sets the mix on the downstream services, and changes it as windows open and close; the
 * returned function stops that and takes the mix off again. SetFaults replaces the rules set at
 * run time, so clearing leaves only the built-in business rules.
 */
export async function applyFaultMix(
  admin: DownstreamClients['admin'],
  mix: readonly FaultMixEntry[],
  opts: { onChange?: (atMs: number, rules: FaultRule[]) => void; onError?: (err: unknown) => void } = {},
): Promise<() => Promise<void>> {
  if (mix.length === 0) return async () => undefined;
  const set = async (atMs: number) => {
    const rules = faultRules(mix, atMs);
    await admin.setFaults({ rules });
    opts.onChange?.(atMs, rules);
  };
  await set(0);
  const changes = [...new Set(mix.flatMap((f) => (f.window ? [f.window.fromMs, f.window.toMs] : [])))].filter((ms) => ms > 0);
  const timers = changes.map((ms) => setTimeout(() => { set(ms).catch((err: unknown) => opts.onError?.(err)); }, ms));
  return async () => {
    for (const t of timers) clearTimeout(t);
    await admin.setFaults({ rules: [] });
  };
}
