/**
 * bench:peer's tables: per system and rate, what each measured; CPU per order per process; the
 * kill rounds; and ours ÷ peer.
 */
import type { RateRun } from '../rate-run.js';
import type { KillRound } from './kill-round.js';

export interface SystemResult {
  system: 'ours' | 'peer';
  /** Zero-latency downstreams. */
  zero: RateRun[];
  /** bench:e2e's step latencies. */
  latency: RateRun[];
  kill?: KillRound;
}

const P99_BOUND_MS = 2_000;

/** As bench:throughput: every order terminal, all accepted, completions within 5 % of arrivals, e2e p99 < 2 s. */
export function sustained(r: RateRun): boolean {
  return r.notTerminal === 0 && r.accepted === r.offered && r.completedPerSec >= r.ratePerSec * 0.95 && r.e2eMs.p99 < P99_BOUND_MS;
}

export const highestSustained = (runs: readonly RateRun[]): RateRun | undefined => runs.filter(sustained).at(-1);

/** CPU ms per terminal order, per process and in total. */
export function cpuPerOrder(r: RateRun): Record<string, number> {
  const orders = Math.max(1, r.e2eMs.n);
  const per = Object.fromEntries(Object.entries(r.cpuSeconds).map(([k, s]) => [k, round1((s * 1000) / orders)]));
  return { ...per, total: round1(Object.values(r.cpuSeconds).reduce((a, b) => a + b, 0) * 1000 / orders) };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? Math.round((a / b) * 100) / 100 : Number.NaN);

export function rateRows(result: SystemResult, phase: 'zero' | 'latency', criticalMs: number): Array<Record<string, string | number>> {
  return result[phase].map((r) => ({
    system: result.system, 'rate/s': r.ratePerSec, accepted: `${r.accepted}/${r.offered}`, 'done/s': r.completedPerSec,
    'ack p50': r.ackMs.p50, 'ack p99': r.ackMs.p99, 'e2e p50': r.e2eMs.p50, 'e2e p95': r.e2eMs.p95, 'e2e p99': r.e2eMs.p99,
    ...(criticalMs > 0 ? { 'p50/crit': (r.e2eMs.p50 / criticalMs).toFixed(2), 'p99/crit': (r.e2eMs.p99 / criticalMs).toFixed(2) } : {}),
    open: r.notTerminal, sustained: sustained(r) ? 'yes' : 'no', 'cpu ms/order': cpuPerOrder(r).total ?? Number.NaN,
  }));
}

export function cpuRows(result: SystemResult): Array<Record<string, string | number>> {
  return [...result.zero.map((r) => ['zero', r] as const), ...result.latency.map((r) => ['steps', r] as const)].map(([phase, r]) => {
    const per = cpuPerOrder(r);
    return { system: result.system, downstreams: phase, 'rate/s': r.ratePerSec, ...Object.fromEntries(Object.entries(per).map(([k, v]) => [k, v])) };
  });
}

export function killRows(rounds: readonly KillRound[]): Array<Record<string, string | number>> {
  return rounds.map((k) => ({
    system: k.system, victim: k.victim, 'rate/s': k.ratePerSec, accepted: k.accepted, 'in flight at kill': k.inFlightAtKill, 'restarted after ms': k.restartedAfterMs ?? 'no', resumed: k.resumed,
    'first resumed ms': k.firstResumedMs ?? '-', 'all resumed ms': k.allResumedMs ?? '-', 'not terminal': k.notTerminal,
    'capture mismatches': k.captureMismatches, 'affected e2e p99': k.affectedE2eP99, 'others e2e p99': k.othersE2eP99, 'place errors': k.placeErrors,
  }));
}

export interface Ratios {
  /** Highest sustained completed/s, zero-latency downstreams (a lower bound for a system that sustained every rate tried). */
  throughput: number;
  /** Which completed/s the throughput ratio divides: both systems' highest sustained, or (when either sustained none) their peaks. */
  throughputBasis: 'highest sustained' | 'peak completed/s among the rates each ran';
  /** At the lowest rate both ran with step latencies: (e2e − critical path) ours ÷ peer. */
  p50Overhead: number;
  p99Overhead: number;
  /** The same at the lowest zero-latency rate (critical path 0: e2e itself). */
  p50OverheadZero: number;
  p99OverheadZero: number;
  ackP50: number;
  ackP99: number;
  /** Total CPU per order at the lowest zero-latency rate. */
  cpuPerOrder: number;
  atRate: { zero?: number; latency?: number };
}

export function ratios(ours: SystemResult, peer: SystemResult, criticalMs: number): Ratios {
  const common = (phase: 'zero' | 'latency') => {
    const rate = ours[phase].map((r) => r.ratePerSec).filter((x) => peer[phase].some((p) => p.ratePerSec === x)).sort((a, b) => a - b)[0];
    return { rate, o: ours[phase].find((r) => r.ratePerSec === rate), p: peer[phase].find((r) => r.ratePerSec === rate) };
  };
  const z = common('zero');
  const l = common('latency');
  const over = (r: RateRun | undefined, q: 'p50' | 'p99') => (r ? r.e2eMs[q] - criticalMs : undefined);
  return {
    ...throughputRatio(ours.zero, peer.zero),
    p50Overhead: ratio(over(l.o, 'p50'), over(l.p, 'p50')), p99Overhead: ratio(over(l.o, 'p99'), over(l.p, 'p99')),
    p50OverheadZero: ratio(z.o?.e2eMs.p50, z.p?.e2eMs.p50), p99OverheadZero: ratio(z.o?.e2eMs.p99, z.p?.e2eMs.p99),
    ackP50: ratio(z.o?.ackMs.p50, z.p?.ackMs.p50), ackP99: ratio(z.o?.ackMs.p99, z.p?.ackMs.p99),
    cpuPerOrder: ratio(z.o ? cpuPerOrder(z.o).total : undefined, z.p ? cpuPerOrder(z.p).total : undefined),
    atRate: { zero: z.rate, latency: l.rate },
  };
}

function throughputRatio(ours: readonly RateRun[], peer: readonly RateRun[]): Pick<Ratios, 'throughput' | 'throughputBasis'> {
  const o = highestSustained(ours);
  const p = highestSustained(peer);
  if (o && p) return { throughput: ratio(o.completedPerSec, p.completedPerSec), throughputBasis: 'highest sustained' };
  const peak = (runs: readonly RateRun[]) => (runs.length ? Math.max(...runs.map((r) => r.completedPerSec)) : undefined);
  return { throughput: ratio(peak(ours), peak(peer)), throughputBasis: 'peak completed/s among the rates each ran' };
}
