/**
 * The kill round, for each system: steady load with `bench:e2e`'s step latencies, SIGKILL of the
 * process running the handlers 6 s in, then: which orders were in flight at the kill, how long
 * until every one of them progressed again, and whether any was lost.
 * - Ours: one of the three nodes; not restarted during the round (its shards move to the other
 *   two after the group's session timeout). Progress = the next journal row another node wrote.
 * - Peer: the service process, restarted at once on the same port (as its deployment would be);
 *   restate-server retries the invocations. Progress = the next step call that returned in the
 *   new process, or the order's response.
 */
import type { BenchCluster } from '../bench-cluster.js';
import { isTerminal } from '../../../src/domain/order.js';
import { runOpenLoop } from '../../../src/load/open-loop.js';
import { percentile } from '../../../src/load/stats.js';
import type { DownstreamClients } from '../../../src/clients/downstream-clients.js';
import { foldJournal, readJournals, readWholeLedger } from '../../local/chaos/chaos-check.js';
import type { PeerSystem } from './peer-system.js';

export interface KillRound {
  system: 'ours' | 'peer';
  victim: string;
  ratePerSec: number;
  accepted: number;
  placeErrors: number;
  inFlightAtKill: number;
  /** Peer: kill → the new service process ready (ours: not restarted during the round). */
  restartedAfterMs: number | null;
  /** Of those, how many progressed again (the rest never did: stuck or lost). */
  resumed: number;
  firstResumedMs: number | null;
  allResumedMs: number | null;
  /** Accepted orders without a terminal status after the drain. */
  notTerminal: number;
  /** Accepted orders with other than exactly one capture in the downstream's ledger (completed ones). */
  captureMismatches: number;
  affectedE2eP99: number;
  othersE2eP99: number;
}

const LOAD_MS = 20_000;
const KILL_AFTER_MS = 6_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Driven { ids: string[]; scheduled: Map<string, number>; errors: number; inFlight: string[]; killedAt: number; restartedAfterMs: number | null }

/** Load for LOAD_MS, `kill` at KILL_AFTER_MS; the orders accepted before the kill and not terminal then are in flight. */
async function drive(target: Pick<BenchCluster, 'place' | 'terminal'>, rate: number, kill: () => Promise<{ killedAt: number; readyAt?: number }>): Promise<Driven> {
  const ackAt = new Map<string, number>();
  const load = runOpenLoop({ ratePerSec: rate, durationMs: LOAD_MS, clock: Date.now, fire: async (i) => { const id = await target.place(i); ackAt.set(id, Date.now()); return id; } });
  await sleep(KILL_AFTER_MS);
  const { killedAt, readyAt } = await kill();
  const inFlight = [...ackAt].filter(([id, at]) => at <= killedAt && !((target.terminal.get(id)?.seenAt ?? Infinity) <= killedAt)).map(([id]) => id);
  const report = await load;
  const ok = report.results.filter((r) => r.ok);
  return { ids: ok.map((r) => r.value!), scheduled: new Map(ok.map((r) => [r.value!, r.scheduledAt])), errors: report.results.length - ok.length, inFlight, killedAt, restartedAfterMs: readyAt === undefined ? null : readyAt - killedAt };
}

async function captureMismatches(admin: DownstreamClients['admin'], ids: readonly string[], terminal: BenchCluster['terminal']): Promise<number> {
  const captures = new Map<string, number>();
  for (const e of await readWholeLedger(admin)) if (e.operation === 'payments.Capture') captures.set(e.orderId, (captures.get(e.orderId) ?? 0) + 1);
  return ids.filter((id) => (terminal.get(id)?.status === 'COMPLETED' ? 1 : 0) !== (captures.get(id) ?? 0)).length;
}

function finish(system: KillRound['system'], victim: string, rate: number, d: Driven, open: string[], resumeMs: number[], mismatches: number, terminal: BenchCluster['terminal']): KillRound {
  const affected = new Set(d.inFlight);
  const e2e = (pred: (id: string) => boolean) => d.ids.filter(pred).map((id) => (terminal.get(id)?.seenAt ?? Number.NaN) - d.scheduled.get(id)!).filter(Number.isFinite);
  return {
    system, victim, ratePerSec: rate, accepted: d.ids.length, placeErrors: d.errors, inFlightAtKill: affected.size, restartedAfterMs: d.restartedAfterMs, resumed: resumeMs.length,
    firstResumedMs: resumeMs.length ? Math.min(...resumeMs) : null, allResumedMs: resumeMs.length ? Math.max(...resumeMs) : null,
    notTerminal: open.length, captureMismatches: mismatches,
    affectedE2eP99: percentile(e2e((id) => affected.has(id)), 99), othersE2eP99: percentile(e2e((id) => !affected.has(id)), 99),
  };
}

export async function killRoundOurs(bench: BenchCluster, admin: DownstreamClients['admin'], rate: number): Promise<KillRound> {
  const victim = bench.cluster.nodes[1] ?? bench.cluster.nodes[0]!;
  const d = await drive(bench, rate, async () => { const killedAt = Date.now(); await bench.cluster.kill(victim); return { killedAt }; });
  const open = await bench.waitTerminal(d.ids, 60_000);
  const journals = await readJournals(bench.db, bench.cluster.config.CASSANDRA_KEYSPACE, d.ids);
  const resumeMs: number[] = [];
  const inFlight: string[] = [];
  for (const [id, rows] of journals) {
    // In flight on the victim: its event last before the kill, not terminal (as bench:failover counts).
    const before = rows.filter((r) => r.at <= d.killedAt);
    if (before.length === 0 || before.at(-1)!.writer !== victim.id || isTerminal(foldJournal(before).status)) continue;
    inFlight.push(id);
    const next = rows.find((r) => r.at > d.killedAt && r.writer !== victim.id);
    if (next) resumeMs.push(next.at - d.killedAt);
  }
  return finish('ours', victim.id, rate, { ...d, inFlight }, open, resumeMs, await captureMismatches(admin, d.ids, bench.terminal), bench.terminal);
}

export async function killRoundPeer(peer: PeerSystem, rate: number): Promise<KillRound> {
  const firstStepAfterKill = new Map<string, number>();
  let killedAt = Number.POSITIVE_INFINITY;
  const off = peer.onServiceLine((line) => {
    const id = typeof line.orderId === 'string' ? line.orderId : undefined;
    if (line.msg === 'step' && id && Number(line.at) > killedAt && !firstStepAfterKill.has(id)) firstStepAfterKill.set(id, Number(line.at));
  });
  try {
    const d = await drive(peer, rate, async () => { killedAt = Date.now(); const r = await peer.killAndRestartService({ progressLog: true }); killedAt = r.killedAt; return r; });
    const open = await peer.waitTerminal(d.ids, 60_000);
    const resumeMs: number[] = [];
    for (const id of d.inFlight) {
      const seen = [firstStepAfterKill.get(id), peer.terminal.get(id)?.seenAt].filter((t): t is number => t !== undefined && t > d.killedAt);
      if (seen.length) resumeMs.push(Math.min(...seen) - d.killedAt);
    }
    return finish('peer', 'peer-service', rate, d, open, resumeMs, await captureMismatches(peer.downstream.admin, d.ids, peer.terminal), peer.terminal);
  } finally {
    off();
  }
}
