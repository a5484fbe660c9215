import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterNode } from '../../cluster/local/local-cluster.js';
import { disagreements, writesAfter } from '../../cluster/local/partition/partition-checks.js';
import { runPartitionScenario, type ScenarioResult } from '../../cluster/local/partition/partition-scenario.js';
import { ownershipChange, recordLines, type LineRecorder } from '../support/chaos-logs.js';
import { itKeepsTheInvariants } from '../support/partition-invariants.js';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';

/*
 * Links that fail short of a clean cut, under load with downstream faults on: a node whose
 * clients cannot hear it, a lossy slow link, and a cut that heals while steps are under way.
 * One cluster serves the scenarios, one after the other.
 */
const PARTITIONS = 12;
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000) || 1;

let pc: ProcessCluster;
let logs: LineRecorder;
const nodeNamed = (id: string): ClusterNode => pc.cluster.nodes.find((n) => n.id === id)!;
const target = () => ({ cluster: pc.cluster, faults: pc.partition!.faults, db: pc.db, keyspace: pc.keyspace, admin: pc.downstream.admin, token: (c: string) => pc.token(c) });

beforeAll(async () => {
  pc = await startProcessCluster({
    nodes: 3, partitions: PARTITIONS, partitioned: true,
    env: { KAFKA_SESSION_TIMEOUT_MS: '3000', KAFKA_HEARTBEAT_INTERVAL_MS: '300' },
    downstreamLatency: [{ target: '*', fixedMs: 40, jitterMs: 80 }],
  });
  logs = recordLines(pc.cluster.nodes);
}, 180_000);
afterAll(async () => { logs?.stop(); await pc?.stop(); }, 90_000);

describe('a node cut from its clients only (its answers are lost)', () => {
  const CUT = 'node-3';
  let run: ScenarioResult;
  let cutAt: number;
  let healAt: number;

  beforeAll(async () => {
    run = await runPartitionScenario(target(), {
      orders: 200, ratePerSec: 15, seed: SEED, drainTimeoutMs: 60_000,
      schedule: [
        { atMs: 2_000, label: 'cut', run: () => pc.partition!.faults.cut(CUT, ['clients'], 'out') },
        { atMs: 11_000, label: 'heal', run: () => pc.partition!.faults.heal(CUT) },
      ],
    });
    cutAt = run.marks.cut!;
    healAt = run.marks.heal!;
  }, 150_000);

  it('moved no shard while its clients could not hear it', () => {
    expect(logs.lines.filter((l) => l.at > cutAt && l.at <= healAt && ownershipChange(l))).toEqual([]);
  });

  it('carried on its own shards\' orders meanwhile', () => {
    expect(writesAfter(run.journals, CUT, cutAt, healAt)).toBeGreaterThan(0);
  });

  it('sent clients whose answer it lost to other nodes, where the same key answered the same order', () => {
    const retried = run.placed.filter((p) => p.attempts.some((a) => a.node === CUT && a.code !== undefined) && p.attempts.at(-1)?.node !== CUT);
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.filter((p) => p.outcome !== 'accepted' || !run.journals.get(p.orderId!)?.length)).toEqual([]);
    expect(run.keysWithTwoOrders).toEqual([]);
  });

  itKeepsTheInvariants(() => run);
});

describe('a lossy, slow link to one node for 30 s (20 % loss, 150 ± 50 ms), then healed', () => {
  const SLOW = 'node-1';
  let run: ScenarioResult;
  let applied = '';

  beforeAll(async () => {
    run = await runPartitionScenario(target(), {
      orders: 400, ratePerSec: 12, seed: SEED + 1, drainTimeoutMs: 90_000,
      schedule: [
        { atMs: 1_000, label: 'impair', run: async () => { applied = await pc.partition!.faults.impair(SLOW, { delayMs: 150, jitterMs: 50, lossPercent: 20 }); } },
        { atMs: 31_000, label: 'heal', run: () => pc.partition!.faults.heal(SLOW) },
      ],
    });
    console.log(`lossy link ${JSON.stringify({ applied, orders: run.accepted.length, statuses: run.verdict.statuses, retries: run.placed.reduce((n, p) => n + p.attempts.length - 1, 0) })}`);
  }, 200_000);

  it('agrees with the journal on every order once healed', async () => {
    expect(await disagreements(nodeNamed(SLOW), run.placed, run.journals, (c) => pc.token(c))).toEqual([]);
  }, 60_000);

  itKeepsTheInvariants(() => run);
});

describe('a node cut from everything that heals in the middle of its steps', () => {
  const CUT = 'node-2';
  let run: ScenarioResult;
  let cutAt: number;

  beforeAll(async () => {
    // Slow steps, so the cut and the heal both fall inside steps the node has under way; 5 s
    // is past the session timeout, so its shards move and its late writes meet the new owners'.
    await pc.downstream.admin.setLatency({ rules: [{ target: '*', fixedMs: 300, jitterMs: 200 }] });
    run = await runPartitionScenario(target(), {
      orders: 150, ratePerSec: 10, seed: SEED + 2, drainTimeoutMs: 90_000,
      schedule: [
        { atMs: 4_000, label: 'cut', run: () => pc.partition!.faults.cut(CUT, ['kafka', 'cassandra', 'downstream']) },
        { atMs: 9_000, label: 'heal', run: () => pc.partition!.faults.heal(CUT) },
      ],
    });
    cutAt = run.marks.cut!;
    console.log(`heal mid-step ${JSON.stringify({
      orders: run.accepted.length, statuses: run.verdict.statuses,
      writesAfterCut: writesAfter(run.journals, CUT, cutAt),
    })}`);
  }, 200_000);

  it('agrees with the journal on every order once healed', async () => {
    expect(await disagreements(nodeNamed(CUT), run.placed, run.journals, (c) => pc.token(c))).toEqual([]);
  }, 60_000);

  itKeepsTheInvariants(() => run);
});
