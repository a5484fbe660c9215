import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import cassandra, { type Client } from 'cassandra-driver';
import { connectTestClient, createTestKeyspace, dropTestKeyspace } from '../support/cassandra.js';

/*
 * What the shard log (src/storage/shard-log.ts) relies on, checked on the real Cassandra 2.1:
 * a batch conditioned on a static column of its partition, with row inserts, guarded inserts and
 * deletes of the same partition, is one Paxos round that applies all or nothing.
 */
const q = { prepare: true, consistency: cassandra.types.consistencies.quorum, serialConsistency: cassandra.types.consistencies.serial };

describe('a conditional batch on one partition (Cassandra 2.1)', () => {
  let client: Client;
  let ks: string;
  beforeAll(async () => {
    client = await connectTestClient();
    ks = await createTestKeyspace(client, 'condbatch');
    await client.execute(`CREATE TABLE ${ks}.t (p text, kind text, id text, seq bigint, epoch bigint static, owner text static, payload text, PRIMARY KEY (p, kind, id, seq))`);
  });
  afterAll(async () => { await dropTestKeyspace(client, ks); await client.shutdown(); });

  const fenced = (p: string, epoch: bigint, rows: Array<{ id: string; seq: bigint; guard?: boolean }>) => client.batch([
    { query: `UPDATE ${ks}.t SET owner = 'w' WHERE p = ? IF epoch = ?`, params: [p, epoch] },
    ...rows.map((r) => ({ query: `INSERT INTO ${ks}.t (p, kind, id, seq, payload) VALUES (?, 'e', ?, ?, ?)${r.guard ? ' IF NOT EXISTS' : ''}`, params: [p, r.id, r.seq, `${r.id}#${r.seq}`] })),
  ], { ...q, logged: true });
  const ids = async (p: string) => (await client.execute(`SELECT id, seq FROM ${ks}.t WHERE p = ? AND kind = 'e'`, [p], q)).rows.map((r) => `${r.get('id')}#${r.get('seq')}`);

  it('applies every row when the epoch matches, and none once a new owner bumped it', async () => {
    expect((await client.execute(`INSERT INTO ${ks}.t (p, epoch) VALUES ('a', 1) IF NOT EXISTS`, [], q)).wasApplied()).toBe(true);
    expect((await fenced('a', 1n, [{ id: 'o1', seq: 1n }, { id: 'o2', seq: 1n }])).wasApplied()).toBe(true);
    expect((await client.execute(`UPDATE ${ks}.t SET epoch = 2 WHERE p = 'a' IF epoch = 1`, [], q)).wasApplied()).toBe(true);
    const stale = await fenced('a', 1n, [{ id: 'o3', seq: 1n }]);
    expect(stale.wasApplied()).toBe(false);
    expect(Number(stale.first().get('epoch'))).toBe(2); // the refusal names the epoch that won
    expect(await ids('a')).toEqual(['o1#1', 'o2#1']);
  });

  it('refuses the whole batch when a guarded row exists, and returns that row', async () => {
    await client.execute(`INSERT INTO ${ks}.t (p, epoch) VALUES ('b', 1) IF NOT EXISTS`, [], q);
    await fenced('b', 1n, [{ id: 'o1', seq: 1n }]);
    const refused = await fenced('b', 1n, [{ id: 'o1', seq: 1n, guard: true }, { id: 'o2', seq: 1n, guard: true }]);
    expect(refused.wasApplied()).toBe(false);
    expect(refused.rows.map((r) => [r.get('id'), Number(r.get('epoch'))])).toEqual([['o1', 1]]);
    expect(await ids('b')).toEqual(['o1#1']);
    expect((await fenced('b', 1n, [{ id: 'o2', seq: 1n, guard: true }])).wasApplied()).toBe(true);
  });
});
