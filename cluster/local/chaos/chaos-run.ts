import type { Client } from 'cassandra-driver';
import type { LocalCluster } from '../local-cluster.js';
import type { DownstreamClients } from '../../../src/clients/downstream-clients.js';
import type { FaultRule } from '../../../src/generated/downstream/v1/FaultRule.js';
import { seededRandom } from '../downstream/random.js';
import {
  failoverOf, judgeChaos, journalOrderIds, percentiles, readWholeLedger, waitUntilTerminal, type ChaosVerdict,
} from './chaos-check.js';
import { startChaosLoad, type PlacedOrder } from './chaos-load.js';
import { startChaosMonkey, type KillRecord } from './chaos-monkey.js';
import { faultRules, type FaultMixEntry } from '../../../src/load/fault-mix.js';
import { savedShares, type SavedShares } from './saved-shares.js';

/*
 * One chaos run over a running cluster: open-loop orders, downstream faults, a node SIGKILLed
 * and restarted every few seconds; then the chaos stops, every order is waited on until it is
 * terminal (bounded), and the journals and ledgers are judged. Shared by the chaos test and
 * `npm run chaos:long`.
 */

/** ≈5 % of step calls fail transiently (half of the timeouts after applying), ≈2 % of orders meet a fatal refusal. */
export function chaosFaultRules(): FaultRule[] {
  const stepTargets = ['fraud.Assess', 'payments.*', 'logistics.CreateDelivery', 'logistics.CancelDelivery', 'merchant.*'];
  return [
    { target: 'payments.Authorize', kind: 'CARD_DECLINED', rate: 0.007 },
    { target: 'logistics.CreateDelivery', kind: 'NO_COURIER', rate: 0.007 },
    { target: 'merchant.SendOrder', kind: 'MERCHANT_REJECTED', rate: 0.007 },
    ...stepTargets.flatMap((target): FaultRule[] => [
      { target, kind: 'UNAVAILABLE', rate: 0.025 },
      { target, kind: 'DEADLINE_EXCEEDED', rate: 0.025, applyThenFail: true },
    ]),
  ];
}

/** The run the chaos test does, and `npm run chaos:long` by default (it only places more orders). */
export const CHAOS_DEFAULTS = {
  /** Short group timeouts: a dead node's shards move after ≈3 s plus the rebalance. */
  nodeEnv: { KAFKA_SESSION_TIMEOUT_MS: '3000', KAFKA_HEARTBEAT_INTERVAL_MS: '300' } as Record<string, string>,
  /** Modest downstream latency, so a killed node has orders in flight. */
  latency: [{ target: '*', fixedMs: 40, jitterMs: 80 }],
  ratePerSec: 12,
  killEveryMs: [2_500, 4_500] as [number, number],
  /** Some restarts beat the session timeout (shards come back), most do not (others take over). */
  downMs: [500, 7_000] as [number, number],
  cancelFraction: 0.03,
};

export interface ChaosRunOptions {
  cluster: Pick<LocalCluster, 'nodes' | 'kill' | 'restart'>;
  db: Client;
  keyspace: string;
  admin: DownstreamClients['admin'];
  token(consumerId: string): Promise<string>;
  orders: number;
  ratePerSec: number;
  killEveryMs: [number, number];
  downMs: [number, number];
  cancelFraction: number;
  /** How long, after the chaos stops, orders get to become terminal. */
  drainTimeoutMs: number;
  seed: number;
  /** Faults on top of the chaos mix, each maybe for a window of the run (a dependency outage), as `checkout load --faults` takes them. */
  outage?: readonly FaultMixEntry[];
  log?(line: string): void;
}

export interface ChaosSummary {
  seed: number;
  keys: number;
  orders: number;
  completed: number;
  failed: number;
  cancelled: number;
  notTerminal: number;
  lost: number;
  unannounced: number;
  unresolvedKeys: number;
  rejectedKeys: number;
  placeRetries: number;
  cancelsRequested: number;
  cancelsBroken: number;
  kills: number;
  multiWriterOrders: number;
  nonLinear: number;
  ledgerViolations: number;
  ledgerEntries: number;
  failoverMs: ReturnType<typeof percentiles>;
  /** Per kill: the node, its in-flight orders, kill → first step another node persisted for one, kill → replacement ready. */
  perKill: Array<{ node: string; inFlight: number; ms?: number; restartMs?: number }>;
  placeMs: ReturnType<typeof percentiles>;
  /** Per order, the longest wait between two of its events (a step, a retry, or a failover). */
  orderStallMs: ReturnType<typeof percentiles>;
  durationMs: { load: number; drain: number; total: number };
  /** Completed orders saved by retry and by fallback, from the journals (not the nodes' counters, which die with them). */
  saved: SavedShares;
}

export interface ChaosRunResult {
  summary: ChaosSummary;
  verdict: ChaosVerdict;
  placed: PlacedOrder[];
  kills: readonly KillRecord[];
}

export async function runChaos(opts: ChaosRunOptions): Promise<ChaosRunResult> {
  const log = opts.log ?? (() => undefined);
  const random = seededRandom(opts.seed);
  const outage = opts.outage ?? [];
  // The outage's rules come first: the first matching rule wins.
  await opts.admin.setFaults({ rules: [...faultRules(outage, 0), ...chaosFaultRules()], seed: opts.seed });
  const t0 = Date.now();
  const outageTimers = [...new Set(outage.flatMap((f) => (f.window ? [f.window.fromMs, f.window.toMs] : [])))].map((atMs) => setTimeout(() => {
    const rules = faultRules(outage, atMs);
    log(`outage: ${rules.map((r) => r.target).join(', ') || 'over'} at ${atMs / 1000} s`);
    opts.admin.setFaults({ rules: [...rules, ...chaosFaultRules()] }).catch((err: unknown) => log(`could not change the outage: ${String(err)}`));
  }, atMs));
  const load = startChaosLoad({
    nodes: () => opts.cluster.nodes, token: opts.token, orders: opts.orders, ratePerSec: opts.ratePerSec,
    cancelFraction: opts.cancelFraction, random,
  });
  const monkey = startChaosMonkey(opts.cluster, {
    everyMs: opts.killEveryMs, downMs: opts.downMs, random,
    onKill: (k) => log(`killed ${k.node} (kill ${monkey.kills.length})`),
  });
  const ticker = setInterval(() => log(`load ${JSON.stringify(load.progress())}, kills ${monkey.kills.length}`), 5_000);
  let placed: PlacedOrder[];
  try {
    placed = await load.done;
  } finally {
    clearInterval(ticker);
    for (const t of outageTimers) clearTimeout(t);
    await monkey.stop();
  }
  const tLoad = Date.now();
  const accepted = placed.flatMap((p) => (p.orderId ? [p.orderId] : []));
  log(`load done in ${tLoad - t0} ms: ${accepted.length} accepted of ${placed.length}; draining`);
  await waitUntilTerminal(opts.db, opts.keyspace, accepted, { timeoutMs: opts.drainTimeoutMs, onPoll: (open) => log(`not yet terminal: ${open}`) });
  const tDrain = Date.now();
  // Anything a straggler appended after the end would show in this final read.
  await new Promise((r) => setTimeout(r, 1_500));
  const allIds = await journalOrderIds(opts.db, opts.keyspace);
  const journals = await waitUntilTerminal(opts.db, opts.keyspace, allIds, { timeoutMs: 10_000 });
  const ledger = await readWholeLedger(opts.admin);
  const cancels = placed.flatMap((p) => (p.orderId && p.cancel ? [{ orderId: p.orderId, ...p.cancel }] : []));
  const verdict = judgeChaos({ accepted, journals, ledger, cancels });
  const perKill = monkey.kills.map((k) => ({ node: k.node, restartMs: k.readyAt ? k.readyAt - k.killedAt : undefined, ...failoverOf(k, journals) }));
  const failovers = perKill.flatMap((k) => (k.ms === undefined ? [] : [k.ms]));
  const summary: ChaosSummary = {
    seed: opts.seed,
    keys: placed.length,
    orders: accepted.length,
    completed: verdict.statuses.COMPLETED ?? 0,
    failed: verdict.statuses.FAILED ?? 0,
    cancelled: verdict.statuses.CANCELLED ?? 0,
    notTerminal: verdict.notTerminal.length,
    lost: verdict.lost.length,
    unannounced: verdict.unannounced.length,
    unresolvedKeys: placed.filter((p) => p.outcome === 'unresolved').length,
    rejectedKeys: placed.filter((p) => p.outcome === 'rejected').length,
    placeRetries: placed.reduce((n, p) => n + Math.max(0, p.attempts.length - 1), 0),
    cancelsRequested: cancels.length,
    cancelsBroken: verdict.cancelsBroken.length,
    kills: monkey.kills.length,
    multiWriterOrders: verdict.multiWriterOrders,
    nonLinear: verdict.nonLinear.length,
    ledgerViolations: verdict.ledgerViolations.length,
    ledgerEntries: ledger.length,
    failoverMs: percentiles(failovers),
    perKill,
    placeMs: percentiles(placed.filter((p) => p.orderId).map((p) => p.placeMs)),
    orderStallMs: percentiles([...journals.values()].map((rows) => Math.max(0, ...rows.slice(1).map((r, i) => r.at - rows[i]!.at)))),
    durationMs: { load: tLoad - t0, drain: tDrain - tLoad, total: Date.now() - t0 },
    saved: savedShares(accepted.map((id) => journals.get(id) ?? [])),
  };
  return { summary, verdict, placed, kills: monkey.kills };
}
