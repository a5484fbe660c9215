import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'cassandra-driver';
import type { OrderEvent } from '../../actors/order/order-events.js';
import { JournalConflictError } from '../../src/domain/errors.js';
import type { PersistenceEngine } from '../../src/storage/persistence-engine.js';
import { fencedJournalRows, readFencedJournal, readSettledFencedJournal } from '../../src/storage/fenced-rows.js';
import { connectTestClient } from '../support/cassandra.js';
import { schemaKeyspace, testFencedEngine, cancelEvent } from '../support/journal.js';

/*
 * JOURNAL_MODE=fenced, raced: a writer keeps appending to several orders (plain inserts, each
 * acknowledged only after its fence read) while another node recovers them (one LWT raising the
 * owner generation, then one read). Whatever the timing, every append the stale writer was told is
 * durable is in the new owner's history, and nothing the stale writer wrote after that read
 * becomes history, although its refused rows do land in the table.
 */
const ROUNDS = Number(process.env.FENCE_ROUNDS ?? 100);
const ORDERS = 4;

const stored = cancelEvent;

/** What an order actor's recovery does: the snapshot read, then the events after it. */
const recover = async (engine: PersistenceEngine, orderId: string): Promise<string[]> => {
  const snapshot = await engine.latestSnapshot(orderId);
  return engine.events(orderId, snapshot?.sequenceNumber ?? 0).reduce<string[]>((acc, e) => [...acc, `${(e.data as OrderEvent).node}#${e.sequenceNumber}`], []);
};

describe('fenced journal fencing', () => {
  let ks: { client: Client; keyspace: string; drop(): Promise<void> };
  let otherNode: Client;
  beforeAll(async () => {
    ks = await schemaKeyspace('fenced');
    otherNode = await connectTestClient();
  });
  afterAll(async () => {
    await otherNode.shutdown();
    await ks.drop();
  });

  const history = async (orderId: string) =>
    (await fencedJournalRows(ks.client, ks.keyspace, orderId)).map((r) => `${JSON.parse(r.payload).node}#${r.seq}`);

  it(`no append of a stale writer becomes history after a recovery's read (${ROUNDS} rounds)`, async () => {
    let staleAcked = 0;
    let refusedRowsLanded = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const stale = testFencedEngine(ks.client, ks.keyspace, 'stale');
      const acked = new Map<string, string[]>();
      let otherErrors = 0;
      const orderIds = Array.from({ length: ORDERS }, (_, o) => `r${round}-o${o}`);
      // Each order's first event is in before the race: a journal that does not exist yet has no
      // owner to take (its first append decides, see the test below).
      for (const orderId of orderIds) {
        await stale.persist(stored(orderId, 1, 'stale'));
        acked.set(orderId, ['stale#1']);
      }
      // Each order appends until the journal refuses it: only a conflict may end a loop.
      const writers = orderIds.map(async (orderId) => {
        for (let seq = 2; ; seq++) {
          try {
            await stale.persist(stored(orderId, seq, 'stale'));
            acked.get(orderId)!.push(`stale#${seq}`);
          } catch (err) {
            if (!(err instanceof JournalConflictError)) otherErrors += 1;
            return;
          }
        }
      });
      await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 40)));
      const next = testFencedEngine(otherNode, ks.keyspace, 'new');
      const seenByNewOwner = new Map(await Promise.all(orderIds.map(async (id) => [id, await recover(next, id)] as const)));
      await Promise.all(writers);
      expect(otherErrors).toBe(0);
      for (const orderId of orderIds) {
        const seen = seenByNewOwner.get(orderId)!;
        // Every acknowledged append is in the history the new owner recovered...
        for (const a of acked.get(orderId)!) expect(seen).toContain(a);
        // ...and the history after the stale writer gave up is exactly that.
        expect(await history(orderId)).toEqual(seen);
        // The new owner appends on at the next position; a stale row there does not displace it.
        await next.persist(stored(orderId, seen.length + 1, 'new'));
        expect(await history(orderId)).toEqual([...seen, `new#${seen.length + 1}`]);
        const journal = await readFencedJournal(ks.client, ks.keyspace, orderId);
        refusedRowsLanded += journal.rows.length - seen.length - 1;
      }
      staleAcked += [...acked.values()].reduce((n, a) => n + a.length, 0);
    }
    console.log(`fenced journal race: ${ROUNDS} rounds × ${ORDERS} orders, ${staleAcked} stale appends acknowledged (all in the new owner's history), ${refusedRowsLanded} refused rows landed and are not history`);
    // Each refused append's row lands before its fence read: the rule is exercised, not idle.
    expect(refusedRowsLanded).toBeGreaterThan(0);
  }, 600_000);

  it("an order's first event is written once: a second writer's first append is refused", async () => {
    const a = testFencedEngine(ks.client, ks.keyspace, 'a');
    const b = testFencedEngine(otherNode, ks.keyspace, 'b');
    await a.persist(stored('first-once', 1, 'a'));
    await expect(b.persist(stored('first-once', 1, 'b'))).rejects.toBeInstanceOf(JournalConflictError);
    expect(await history('first-once')).toEqual(['a#1']);
  });

  it('a reader that does not fence leaves the order with its writer', async () => {
    const writer = testFencedEngine(ks.client, ks.keyspace, 'w');
    const reader = testFencedEngine(otherNode, ks.keyspace, 'reader', { fence: false });
    await writer.persist(stored('read-only', 1, 'w'));
    expect(await recover(reader, 'read-only')).toEqual(['w#1']);
    await writer.persist(stored('read-only', 2, 'w'));
    expect(await history('read-only')).toEqual(['w#1', 'w#2']);
  });

  it('a writer that recovered an order appends only at the position after what it read', async () => {
    const writer = testFencedEngine(ks.client, ks.keyspace, 'w');
    await writer.persist(stored('positions', 1, 'w'));
    await writer.persist(stored('positions', 2, 'w'));
    const next = testFencedEngine(otherNode, ks.keyspace, 'n');
    expect(await recover(next, 'positions')).toEqual(['w#1', 'w#2']);
    await expect(next.persist(stored('positions', 2, 'n'))).rejects.toBeInstanceOf(JournalConflictError);
    await next.persist(stored('positions', 3, 'n'));
    expect(await history('positions')).toEqual(['w#1', 'w#2', 'n#3']);
  });

  it("a stale writer's snapshot past the new owner's base is not used by a recovery", async () => {
    const stale = testFencedEngine(ks.client, ks.keyspace, 'stale');
    for (let seq = 1; seq <= 3; seq++) await stale.persist(stored('snap', seq, 'stale'));
    const next = testFencedEngine(otherNode, ks.keyspace, 'new');
    expect(await recover(next, 'snap')).toEqual(['stale#1', 'stale#2', 'stale#3']);
    await expect(stale.persist(stored('snap', 4, 'stale'))).rejects.toBeInstanceOf(JournalConflictError);
    // A snapshot the stale writer sent before it learned, landing late: generation 1, position 4.
    await ks.client.execute(
      `INSERT INTO ${ks.keyspace}.fenced_snapshots (order_id, seq, gen, schema_version, state, created_at) VALUES ('snap', 4, 1, 1, '{"stale":true}', 0)`);
    await next.persist(stored('snap', 4, 'new'));
    const third = testFencedEngine(ks.client, ks.keyspace, 'third');
    expect(await third.latestSnapshot('snap')).toBeUndefined();
    expect(await third.events('snap', 0).reduce<string[]>((acc, e) => [...acc, `${(e.data as OrderEvent).node}#${e.sequenceNumber}`], [])).toEqual(['stale#1', 'stale#2', 'stale#3', 'new#4']);
  });

  it("the owner's own snapshot is used, and recovery replays only what follows it", async () => {
    const writer = testFencedEngine(ks.client, ks.keyspace, 'w');
    for (let seq = 1; seq <= 3; seq++) await writer.persist(stored('own-snap', seq, 'w'));
    await writer.takeSnapshot({ data: { upTo: 2 }, sequenceNumber: 2, key: 'own-snap', createdAt: Date.now() });
    const next = testFencedEngine(otherNode, ks.keyspace, 'n');
    const snapshot = await next.latestSnapshot('own-snap');
    expect(snapshot).toMatchObject({ data: { upTo: 2 }, sequenceNumber: 2 });
    expect(await next.events('own-snap', 2).reduce<number[]>((acc, e) => [...acc, e.sequenceNumber], [])).toEqual([3]);
  });

  it("a reader does not answer from a journal whose recovery has raised but not yet recorded its base", async () => {
    const writer = testFencedEngine(ks.client, ks.keyspace, 'w');
    for (let seq = 1; seq <= 3; seq++) await writer.persist(stored('half-taken', seq, 'w'));
    // A recovery's raise, then a late row of the old generation, and no base yet.
    await ks.client.execute(`UPDATE ${ks.keyspace}.fenced_journal SET owner_gen = 2 WHERE order_id = 'half-taken' IF owner_gen = 1`);
    await ks.client.execute(
      `INSERT INTO ${ks.keyspace}.fenced_journal (order_id, seq, gen, event_type, schema_version, payload, created_at, writer) VALUES ('half-taken', 4, 1, 'CancelRequested', 1, '{"node":"w"}', 0, 'w')`);
    await expect(readSettledFencedJournal(ks.client, ks.keyspace, 'half-taken', { attempts: 3, delayMs: 10 })).rejects.toThrow(/being taken over/);
    const reader = testFencedEngine(otherNode, ks.keyspace, 'reader', { fence: false });
    const answer = recover(reader, 'half-taken');
    await new Promise((r) => setTimeout(r, 100));
    // The recovery read rows 1..3: its base excludes the late row.
    await ks.client.execute(`UPDATE ${ks.keyspace}.fenced_journal SET gen_bases[2] = 4 WHERE order_id = 'half-taken'`);
    expect(await answer).toEqual(['w#1', 'w#2', 'w#3']);
    expect(await history('half-taken')).toEqual(['w#1', 'w#2', 'w#3']);
  });
});
