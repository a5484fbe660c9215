import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'cassandra-driver';
import { dispatch, query, spawnEventSourced, startActorSystem, stopActor, type Ref, type SystemRef } from '../../actors/typed-nact.js';
import type { PersistenceEngine } from '../../src/storage/persistence-engine.js';
import { createCassandraPersistenceEngine } from '../../src/storage/cassandra-persistence-engine.js';
import { tallyCounters } from '../../src/storage/storage-counters.js';
import { schemaKeyspace } from '../support/journal.js';

type Cmd = { type: 'add'; n: number } | { type: 'get'; replyTo: Ref<number> };
type Ev = { type: 'added'; n: number };

// A generic counter is enough here: snapshots belong to the event-sourcing wrapper, not to orders.
const codec = {
  encode: (d: unknown) => ({ type: 'added', version: 1, payload: JSON.stringify(d) }),
  decode: (_t: string, _v: number, p: string) => JSON.parse(p) as unknown,
};

let systems = 0;
/** nact keeps the persistence engine per actor system: one system per engine under test. */
function spawnCounter(key: string, engine: PersistenceEngine, snapshotEvery?: number): Ref<Cmd> {
  const system: SystemRef = startActorSystem(`snaps-${Date.now()}-${systems++}`, engine);
  return spawnEventSourced<number, Cmd, Ev>(system, key, {
    key, emptyState: 0, engine, snapshotEvery,
    onCommand: (state, cmd) => {
      if (cmd.type === 'get') { dispatch(cmd.replyTo, state); return undefined; }
      return { persist: [{ type: 'added', n: cmd.n }] };
    },
    onEvent: (state, e) => state + e.n,
  });
}

describe('recovery from snapshots', () => {
  let ks: { client: Client; keyspace: string; drop(): Promise<void> };
  beforeAll(async () => { ks = await schemaKeyspace('snaps'); });
  afterAll(async () => { await ks.drop(); });

  const engineWith = (counters = tallyCounters()) =>
    ({ counters, engine: createCassandraPersistenceEngine({ client: ks.client, keyspace: ks.keyspace, writerId: 't', codec, counters, pageSize: 200 }) });

  it('takes a snapshot every N events and recovers from the newest plus the events after it', async () => {
    const { engine } = engineWith();
    const counter = spawnCounter('k-every', engine, 50);
    for (let i = 0; i < 120; i++) dispatch(counter, { type: 'add', n: 1 });
    expect(await query(counter, (replyTo: Ref<number>): Cmd => ({ type: 'get', replyTo }), 30_000)).toBe(120);
    stopActor(counter);
    const rows = await ks.client.execute(`SELECT seq FROM ${ks.keyspace}.snapshots WHERE order_id = 'k-every'`);
    expect(rows.rows.map((r) => Number(r.seq))).toEqual([100, 50]);

    const { engine: fresh, counters } = engineWith();
    await new Promise((r) => setImmediate(r));
    const revived = spawnCounter('k-every', fresh, 50);
    expect(await query(revived, (replyTo: Ref<number>): Cmd => ({ type: 'get', replyTo }), 10_000)).toBe(120);
    expect(counters.totals().read).toBe(2); // the snapshot, and one page holding the 20 newer events
    stopActor(revived);
  });

  it('recovers a 1000-event journal from its snapshot with a fraction of the replay', async () => {
    const { engine } = engineWith();
    const key = 'k-long';
    // Set-up data, written with plain inserts: conditional ones on one partition would only contend.
    const insert = `INSERT INTO ${ks.keyspace}.journal (order_id, seq, event_type, schema_version, payload, created_at, writer) VALUES (?, ?, 'added', 1, ?, ?, 't')`;
    for (let start = 1; start <= 1000; start += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, i) =>
        ks.client.execute(insert, [key, BigInt(start + i), JSON.stringify({ type: 'added', n: 1 }), BigInt(Date.now())], { prepare: true })));
    }
    const replay = engineWith();
    let t0 = performance.now();
    const cold = spawnCounter(key, replay.engine);
    expect(await query(cold, (replyTo: Ref<number>): Cmd => ({ type: 'get', replyTo }), 30_000)).toBe(1000);
    const replayMs = performance.now() - t0;
    stopActor(cold);
    await engine.takeSnapshot({ data: { state: 1000, seq: 1000 }, sequenceNumber: 1000, key, createdAt: Date.now() });

    const fromSnapshot = engineWith();
    await new Promise((r) => setImmediate(r));
    t0 = performance.now();
    const warm = spawnCounter(key, fromSnapshot.engine);
    expect(await query(warm, (replyTo: Ref<number>): Cmd => ({ type: 'get', replyTo }), 30_000)).toBe(1000);
    const snapshotMs = performance.now() - t0;
    stopActor(warm);
    console.log(`[figures] recovery of 1000 events: full replay ${replayMs.toFixed(1)} ms (${replay.counters.totals().read} reads), from snapshot ${snapshotMs.toFixed(1)} ms (${fromSnapshot.counters.totals().read} reads)`);
    expect(fromSnapshot.counters.totals().read).toBe(2);
    expect(replay.counters.totals().read).toBeGreaterThanOrEqual(5);
  });
});
