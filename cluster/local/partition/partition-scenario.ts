import type { Client } from 'cassandra-driver';
import type { DownstreamClients } from '../../../src/clients/downstream-clients.js';
import type { JournalRow } from '../../../actors/order/journal-of.js';
import type { LocalCluster } from '../local-cluster.js';
import { seededRandom } from '../downstream/random.js';
import type { LedgerEntry } from '../downstream/ledger.js';
import { chaosFaultRules } from '../chaos/chaos-run.js';
import {
  judgeChaos, journalOrderIds, readWholeLedger, waitUntilTerminal, type ChaosVerdict,
} from '../chaos/chaos-check.js';
import { startChaosLoad, type PlacedOrder } from '../chaos/chaos-load.js';
import type { LinkFaults } from './link-faults.js';

/*
 * One partition scenario over a running partition cluster: open-loop orders with downstream
 * faults on, link faults applied and healed on a schedule while the load runs, then every order
 * waited on until terminal and the journals and ledgers judged with the chaos checks. No vitest
 * here: `npm run chaos:partition` runs the same thing.
 */

export interface PartitionTarget {
  cluster: Pick<LocalCluster, 'nodes'>;
  faults: LinkFaults;
  db: Client;
  keyspace: string;
  admin: DownstreamClients['admin'];
  token(consumerId: string): Promise<string>;
}

export interface ScheduledFault {
  /** Milliseconds after the load starts. */
  atMs: number;
  label: string;
  run(): Promise<void>;
}

export interface ScenarioOptions {
  orders: number;
  ratePerSec: number;
  schedule: readonly ScheduledFault[];
  drainTimeoutMs: number;
  seed: number;
  cancelFraction?: number;
  log?(line: string): void;
}

export interface ScenarioResult {
  placed: PlacedOrder[];
  accepted: string[];
  /** When an edge answered each accepted order (epoch ms), by order id. */
  acceptedAt: Map<string, number>;
  /** When each scheduled fault was applied (epoch ms), by label. */
  marks: Record<string, number>;
  /** Every order of the keyspace (earlier scenarios on the same cluster too). */
  journals: Map<string, JournalRow[]>;
  ledger: LedgerEntry[];
  verdict: ChaosVerdict;
  /**
   * Orders no client's answer names while a key of theirs was answered with another: a key that
   * made two orders (the edge's idempotency keys must make that impossible across retries on
   * other nodes). Also orders whose id was answered for two keys.
   */
  keysWithTwoOrders: string[];
}

export async function runPartitionScenario(target: PartitionTarget, opts: ScenarioOptions): Promise<ScenarioResult> {
  const log = opts.log ?? (() => undefined);
  await target.admin.setFaults({ rules: chaosFaultRules(), seed: opts.seed });
  const marks: Record<string, number> = {};
  const t0 = Date.now();
  const acceptedAt = new Map<string, number>();
  const load = startChaosLoad({
    nodes: () => target.cluster.nodes, token: target.token, orders: opts.orders, ratePerSec: opts.ratePerSec,
    cancelFraction: opts.cancelFraction ?? 0.03, random: seededRandom(opts.seed),
    onAccepted: (p) => acceptedAt.set(p.orderId!, Date.now()),
  });
  const schedule = (async () => {
    for (const fault of [...opts.schedule].sort((a, b) => a.atMs - b.atMs)) {
      const wait = t0 + fault.atMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await fault.run();
      marks[fault.label] = Date.now();
      log(`${fault.label} at +${Date.now() - t0} ms`);
    }
  })();
  let placed: PlacedOrder[];
  try {
    [placed] = await Promise.all([load.done, schedule]);
  } finally {
    load.stop();
    await schedule.catch(() => undefined);
    await target.faults.healAll();
  }
  const accepted = placed.flatMap((p) => (p.orderId ? [p.orderId] : []));
  log(`load done in ${Date.now() - t0} ms: ${accepted.length} accepted of ${placed.length}; draining`);
  await waitUntilTerminal(target.db, target.keyspace, accepted, { timeoutMs: opts.drainTimeoutMs, pollMs: 500 });
  // Anything a straggler appended after the end shows in this final read.
  await new Promise((r) => setTimeout(r, 1_500));
  const journals = await waitUntilTerminal(target.db, target.keyspace, await journalOrderIds(target.db, target.keyspace), { timeoutMs: 5_000 });
  const ledger = await readWholeLedger(target.admin);
  // Orders of earlier scenarios on the same cluster count as announced: they were, back then.
  const earlier = [...journals].filter(([, rows]) => (rows[0]?.at ?? t0) < t0).map(([id]) => id);
  const verdict = judgeChaos({ accepted: [...accepted, ...earlier], journals, ledger });
  const answered = new Map<string, number>();
  for (const id of accepted) answered.set(id, (answered.get(id) ?? 0) + 1);
  const keysWithTwoOrders = [...verdict.unannounced, ...[...answered].filter(([, n]) => n > 1).map(([id]) => id)];
  return { placed, accepted, acceptedAt, marks, journals, ledger, verdict, keysWithTwoOrders };
}
