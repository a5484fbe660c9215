import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAOS_DEFAULTS, runChaos, type ChaosRunResult } from '../../cluster/local/chaos/chaos-run.js';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';

/*
 * Invariants 1 and 2 under chaos: 3 node processes, orders arriving at a steady rate on all
 * edges, ≈5 % transient and ≈2 % fatal downstream faults, a random node SIGKILLed every few
 * seconds and restarted. The run happens once; each invariant is its own test of its outcome.
 */
const ORDERS = 510;
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000) || 1;

describe('chaos: 3 nodes, node kills and downstream faults', () => {
  let pc: ProcessCluster;
  let run: ChaosRunResult;

  beforeAll(async () => {
    pc = await startProcessCluster({ nodes: 3, env: CHAOS_DEFAULTS.nodeEnv, downstreamLatency: CHAOS_DEFAULTS.latency });
    run = await runChaos({
      ...CHAOS_DEFAULTS,
      cluster: pc.cluster, db: pc.db, keyspace: pc.keyspace, admin: pc.downstream.admin, token: (c) => pc.token(c),
      orders: ORDERS, drainTimeoutMs: 60_000, seed: SEED,
    });
    console.log(`chaos summary ${JSON.stringify(run.summary)}`);
  }, 300_000);
  afterAll(async () => { await pc?.stop(); }, 60_000);

  it('kept taking orders while nodes were being killed', () => {
    expect(run.summary.kills).toBeGreaterThanOrEqual(4);
    expect(run.summary.orders).toBeGreaterThanOrEqual(500);
  });

  it('had other nodes carry on orders that a killed node had begun', () => {
    expect(run.summary.multiWriterOrders).toBeGreaterThan(0);
  });

  it('answered every PlaceOrder with an order id, retrying on another node with the same key', () => {
    expect(run.placed.filter((p) => p.outcome !== 'accepted')).toEqual([]);
  });

  it('lost no accepted order: each has a journal', () => {
    expect(run.verdict.lost).toEqual([]);
  });

  it('judged every accepted order: each is in the checker\'s list of final orders', () => {
    const accepted = run.placed.flatMap((p) => (p.orderId ? [p.orderId] : []));
    expect(accepted.length).toBe(run.summary.orders);
    expect(accepted.filter((id) => !run.verdict.finals.has(id))).toEqual([]);
  });

  it('made one order per key: every journal is an order some client was given the id of', () => {
    expect(run.verdict.unannounced).toEqual([]);
  });

  it('honoured every cancel: answered, and CANCELLED when the answer said it took effect (unless the order was already failing)', () => {
    expect(run.summary.cancelsRequested).toBeGreaterThan(0);
    expect(run.verdict.cancelsBroken).toEqual([]);
  });

  it('brought every order to a terminal state', () => {
    expect(run.verdict.notTerminal).toEqual([]);
  });

  it('kept every journal one linear history (none ran twice in parallel)', () => {
    expect(run.verdict.nonLinear).toEqual([]);
  });

  it('left the ledgers clean: one delivery, ticket and capture of the priced total if completed, net zero and nothing open otherwise', () => {
    expect(run.verdict.ledgerViolations).toEqual([]);
  });

  it('made no downstream call for an order that has no journal', () => {
    expect(run.verdict.ledgerWithoutJournal).toEqual([]);
  });
});
