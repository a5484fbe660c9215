import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'cassandra-driver';
import { JournalConflictError } from '../../src/domain/errors.js';
import { connectTestClient } from '../support/cassandra.js';
import { schemaKeyspace, testGroupEngine, cancelEvent } from '../support/journal.js';

/*
 * The fence of group commit, raced: a writer keeps flushing events of several orders into a
 * shard's log while another node takes the shard (one LWT epoch bump) and reads it. Whatever the
 * timing, the stale writer's events are either visible to that read or never written at all, and
 * every event it was told is durable is among them.
 */
const ROUNDS = Number(process.env.FENCE_ROUNDS ?? 200);
const ORDERS = 4;

const stored = cancelEvent;

describe('group commit fencing', () => {
  let ks: { client: Client; keyspace: string; drop(): Promise<void> };
  let otherNode: Client;
  beforeAll(async () => {
    ks = await schemaKeyspace('fence');
    otherNode = await connectTestClient();
  });
  afterAll(async () => {
    await otherNode.shutdown();
    await ks.drop();
  });

  const visible = async (logId: string): Promise<string[]> => {
    const rs = await ks.client.execute(`SELECT order_id, seq, writer FROM ${ks.keyspace}.order_log WHERE log_id = ? AND kind = 'e'`, [logId], { prepare: true, fetchSize: 10_000 });
    return rs.rows.map((r) => `${r.get('writer')}:${r.get('order_id')}#${r.get('seq')}`).sort();
  };

  it(`no event of a stale writer becomes visible after a takeover's read (${ROUNDS} rounds)`, async () => {
    let staleAcked = 0;
    let staleRefused = 0;
    let staleAfterRead = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const logId = `race/${round}`;
      const stale = testGroupEngine(ks.client, ks.keyspace, 'stale', () => logId);
      await stale.log(logId).claim();
      const acked: string[] = [];
      let refusedOthers = 0;
      // Each order appends until the store refuses it: only a conflict may end a loop.
      const writers = Array.from({ length: ORDERS }, async (_, o) => {
        for (let seq = 1; ; seq++) {
          try {
            await stale.persist(stored(`o-${o}`, seq, 'stale'));
            acked.push(`stale:o-${o}#${seq}`);
          } catch (err) {
            if (!(err instanceof JournalConflictError)) refusedOthers += 1;
            return;
          }
        }
      });
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      const next = testGroupEngine(otherNode, ks.keyspace, 'new', () => logId);
      await next.log(logId).claim();
      const seenByNewOwner = await visible(logId);
      await Promise.all(writers);
      // The new owner writes on from where it read; the stale writer's later tries all failed.
      const finalRows = await visible(logId);
      expect(refusedOthers).toBe(0);
      expect(finalRows).toEqual(seenByNewOwner);
      for (const a of acked) expect(seenByNewOwner).toContain(a);
      staleAcked += acked.length;
      staleRefused += ORDERS;
      staleAfterRead += finalRows.length - seenByNewOwner.length;
    }
    console.log(`fencing race: ${ROUNDS} rounds, ${staleAcked} stale events acknowledged (all seen by the new owner), ${staleRefused} refused, ${staleAfterRead} visible after the takeover's read`);
    expect(staleAfterRead).toBe(0);
  }, 600_000);
});
