import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'cassandra-driver';
import { createActiveOrderIndex, type PositionedOrderIndex } from '../../src/storage/active-orders.js';
import { schemaKeyspace } from '../support/journal.js';
import { readCellsTraced } from '../../cluster/bench/read-cells-traced.js';

/** A clock the test moves; each index gets its own, as nodes do. */
const clock = (start: number) => {
  const c = { t: start, now: () => c.t };
  return c;
};

describe('the index of unfinished orders (lwt mode), listed from a low-water mark', () => {
  let ks: { client: Client; keyspace: string; drop(): Promise<void> };
  const indexes: PositionedOrderIndex[] = [];
  let nextShard = 0;
  beforeAll(async () => { ks = await schemaKeyspace('activeidx'); });
  afterAll(async () => {
    for (const index of indexes) for (let s = 0; s < nextShard; s++) index.release?.(s);
    await ks.drop();
  });

  const node = (now: () => number, moveAfterMs = 60_000) => {
    const index = createActiveOrderIndex({ client: ks.client, keyspace: ks.keyspace, now, moveAfterMs, raiseEveryMs: 3_600_000 });
    indexes.push(index);
    return index;
  };
  const markOf = async (shard: number) =>
    Number((await ks.client.execute(`SELECT low_water FROM ${ks.keyspace}.active_order_shards WHERE shard = ?`, [shard], { prepare: true })).first()?.get('low_water') ?? 0n);
  /** Lists the shard as a node taking it does, returning what Cassandra read: ids, live and tombstoned cells. */
  const tracedListing = async (shard: number) => {
    const from = await markOf(shard);
    const rs = await ks.client.execute(`SELECT order_id FROM ${ks.keyspace}.active_orders_by_position WHERE shard = ? AND position >= ?`, [shard, BigInt(from)], { prepare: true, traceQuery: true });
    const cells = await readCellsTraced(ks.client, rs.info.traceId);
    if (!cells) throw new Error('no read event in the listing\'s trace');
    return { ids: rs.rows.map((r) => r.get('order_id') as string), ...cells };
  };
  const finish = async (index: PositionedOrderIndex, shard: number, c: { t: number }, n: number) => {
    for (let i = 0; i < n; i++) {
      c.t += 10;
      await index.add(shard, `done-${shard}-${i}`, c.t);
      await index.remove(shard, `done-${shard}-${i}`);
    }
  };

  it('a listing skips the tombstones of orders finished before the oldest open one', async () => {
    const shard = nextShard++;
    const c = clock(1_000_000);
    const owner = node(c.now);
    await owner.list(shard);
    await finish(owner, shard, c, 300);
    c.t += 5;
    await owner.add(shard, 'open-late', c.t);
    await finish(owner, shard, c, 20);
    expect((await tracedListing(shard)).tombstones).toBe(320); // nothing raised yet: every finished order is read
    await owner.raiseMark(shard);
    const listing = await tracedListing(shard);
    expect(listing.ids).toEqual(['open-late']);
    expect(listing.tombstones).toBe(20); // only those finished after the open order was placed
  });

  it('a node taking the shard lists every unfinished order, however many finished before', async () => {
    const shard = nextShard++;
    const c = clock(2_000_000);
    const owner = node(c.now);
    await owner.list(shard);
    await owner.add(shard, 'open-a', c.t);
    await finish(owner, shard, c, 100);
    await owner.add(shard, 'open-b', c.t);
    await finish(owner, shard, c, 100);
    await owner.raiseMark(shard);
    const next = node(c.now);
    expect((await next.list(shard)).sort()).toEqual(['open-a', 'open-b']);
  });

  it('an order open longer than the move age is written again at the current time, so the mark passes its old row', async () => {
    const shard = nextShard++;
    const c = clock(3_000_000);
    const owner = node(c.now, 1_000);
    await owner.list(shard);
    await owner.add(shard, 'open-long', c.t);
    await finish(owner, shard, c, 150); // 1.5 s of the test clock
    c.t += 10;
    const mark = await owner.raiseMark(shard);
    expect(mark).toBe(c.t);
    const listing = await tracedListing(shard);
    expect(listing.ids).toEqual(['open-long']);
    expect(listing.tombstones).toBe(0);
  });

  it('a former owner cannot raise the mark once another node claimed the shard', async () => {
    const shard = nextShard++;
    const c = clock(4_000_000);
    const former = node(c.now);
    await former.list(shard);
    await former.add(shard, 'open-x', c.t);
    const current = node(c.now);
    expect(await current.list(shard)).toEqual(['open-x']);
    const markAtTakeover = await markOf(shard);
    await former.remove(shard, 'open-x'); // the former owner's view: nothing open, so it would raise to "now"
    c.t += 100_000;
    expect(await former.raiseMark(shard)).toBeUndefined();
    expect(await markOf(shard)).toBe(markAtTakeover);
  });

  it('an order placed before the mark was raised is written above it, so the next owner still lists it', async () => {
    const shard = nextShard++;
    const c = clock(5_000_000);
    const owner = node(c.now);
    await owner.list(shard);
    c.t += 60_000;
    const mark = await owner.raiseMark(shard);
    expect(mark).toBe(c.t);
    await owner.add(shard, 'placed-long-ago', c.t - 50_000); // its command waited in Kafka
    expect(await node(c.now).list(shard)).toEqual(['placed-long-ago']);
  });

  it('a node that has not listed the shard does not raise the mark', async () => {
    const shard = nextShard++;
    const c = clock(6_000_000);
    const owner = node(c.now);
    await owner.list(shard);
    await owner.add(shard, 'open-old-owner', c.t);
    const newcomer = node(c.now);
    await newcomer.add(shard, 'open-newcomer', c.t + 10); // a command of the shard, before any listing here
    c.t += 100_000;
    expect(await newcomer.raiseMark(shard)).toBeUndefined();
    expect((await node(c.now).list(shard)).sort()).toEqual(['open-newcomer', 'open-old-owner']);
  });

  it('an add on a node that has not taken the shard claims nothing: the owner still raises the mark', async () => {
    const shard = nextShard++;
    const c = clock(7_000_000);
    const owner = node(c.now);
    await owner.list(shard);
    const stray = node(c.now);
    await stray.add(shard, 'handled-off-shard', c.t); // a command handled as the shard moved away
    await stray.remove(shard, 'handled-off-shard');
    c.t += 1_000;
    expect(await owner.raiseMark(shard)).toBe(c.t);
    expect(await markOf(shard)).toBe(c.t);
  });

  it('orders a node tracked before it took the shard do not hold its mark back', async () => {
    const shard = nextShard++;
    const c = clock(9_000_000);
    const later = node(c.now);
    await later.add(shard, 'finished-elsewhere', c.t); // handled here off-shard; its owner finished it
    const owner = node(c.now);
    await owner.list(shard);
    await owner.remove(shard, 'finished-elsewhere'); // (the owner's own add of it went to the same row)
    c.t += 1_000;
    expect(await owner.raiseMark(shard)).toBe(c.t);
    owner.release?.(shard);
    await later.list(shard); // the shard comes here
    c.t += 1_000;
    expect(await later.raiseMark(shard)).toBe(c.t);
  });

  it('an idle shard costs no Paxos round: the mark rises only after an order left the index', async () => {
    const shard = nextShard++;
    const c = clock(10_000_000);
    const owner = node(c.now);
    await owner.list(shard);
    c.t += 1_000;
    expect(await owner.raiseMark(shard)).toBe(c.t); // the first raise after taking the shard
    c.t += 10_000;
    expect(await owner.raiseMark(shard)).toBeUndefined();
    await owner.add(shard, 'finished', c.t);
    await owner.remove(shard, 'finished');
    c.t += 1_000;
    expect(await owner.raiseMark(shard)).toBe(c.t);
  });

  it('a takeover costs one Paxos round, and learns the mark in it', async () => {
    const shard = nextShard++;
    const c = clock(8_000_000);
    const first = node(c.now);
    await first.list(shard);
    c.t += 1_000;
    await first.raiseMark(shard);
    const lwts: string[] = [];
    const counters = { count: (op: string, table: string) => { if (op === 'lwt') lwts.push(table); } };
    const next = createActiveOrderIndex({ client: ks.client, keyspace: ks.keyspace, now: c.now, raiseEveryMs: 3_600_000, counters });
    indexes.push(next);
    await next.list(shard);
    expect(lwts).toEqual(['active_order_shards']);
    await next.add(shard, 'placed-before-the-mark', c.t - 500); // its command waited in Kafka
    expect(await tracedListing(shard).then((l) => l.ids)).toEqual(['placed-before-the-mark']);
  });
});
