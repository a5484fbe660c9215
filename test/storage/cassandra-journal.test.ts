import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'cassandra-driver';
import type { OrderEvent } from '../../actors/order/order-events.js';
import type { StoredEvent } from '../../src/storage/persistence-engine.js';
import { JournalConflictError } from '../../src/domain/errors.js';
import { tallyCounters } from '../../src/storage/storage-counters.js';
import { journalOf } from '../../actors/order/journal-of.js';
import { schemaKeyspace, testEngine } from '../support/journal.js';

const event = (orderId: string, seq: number): StoredEvent => ({
  data: { type: 'CancelRequested', v: 1, reason: `r${seq}`, at: seq, node: 'n' } satisfies OrderEvent,
  sequenceNumber: seq, key: orderId, createdAt: Date.now(), isDeleted: false, tags: [],
});

const collect = (engine: ReturnType<typeof testEngine>, key: string, offset: number) =>
  engine.events(key, offset).reduce<number[]>((acc, e) => [...acc, e.sequenceNumber], []);

describe('the Cassandra journal', () => {
  let ks: { client: Client; keyspace: string; drop(): Promise<void> };
  beforeAll(async () => { ks = await schemaKeyspace('journal'); });
  afterAll(async () => { await ks.drop(); });

  it('reads appended events back in sequence order, after the requested offset', async () => {
    const engine = testEngine(ks.client, ks.keyspace, 'n1');
    for (let seq = 1; seq <= 5; seq++) await engine.persist(event('o-read', seq));
    expect(await collect(engine, 'o-read', 0)).toEqual([1, 2, 3, 4, 5]);
    expect(await collect(engine, 'o-read', 3)).toEqual([4, 5]);
  });

  it('refuses a second append at a position another writer already holds', async () => {
    const first = testEngine(ks.client, ks.keyspace, 'winner');
    const second = testEngine(ks.client, ks.keyspace, 'loser');
    await first.persist(event('o-conflict', 1));
    await expect(second.persist(event('o-conflict', 1))).rejects.toBeInstanceOf(JournalConflictError);
    const rows = await journalOf(ks.client, ks.keyspace, 'o-conflict');
    expect(rows.map((r) => [r.seq, r.writer])).toEqual([[1, 'winner']]);
  });

  it('lets exactly one of many concurrent writers take each position', async () => {
    const writers = Array.from({ length: 4 }, (_, i) => testEngine(ks.client, ks.keyspace, `w${i}`));
    const results = await Promise.allSettled(writers.map((w) => w.persist(event('o-race', 1))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof JournalConflictError)).toHaveLength(3);
  });

  it('pages through a journal longer than one page', async () => {
    const engine = testEngine(ks.client, ks.keyspace, 'n1', { pageSize: 7 });
    for (let seq = 1; seq <= 30; seq++) await engine.persist(event('o-long', seq));
    expect(await collect(engine, 'o-long', 0)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('returns the newest snapshot', async () => {
    const engine = testEngine(ks.client, ks.keyspace, 'n1');
    await engine.takeSnapshot({ data: { n: 1 }, sequenceNumber: 10, key: 'o-snap', createdAt: 1 });
    await engine.takeSnapshot({ data: { n: 2 }, sequenceNumber: 20, key: 'o-snap', createdAt: 2 });
    expect(await engine.latestSnapshot('o-snap')).toMatchObject({ data: { n: 2 }, sequenceNumber: 20 });
    expect(await engine.latestSnapshot('o-none')).toBeUndefined();
  });

  it('counts one conditional write per append and one read per page', async () => {
    const counters = tallyCounters();
    const engine = testEngine(ks.client, ks.keyspace, 'n1', { counters, pageSize: 2 });
    for (let seq = 1; seq <= 3; seq++) await engine.persist(event('o-count', seq));
    await collect(engine, 'o-count', 0);
    expect(counters.totals()).toEqual({ lwt: 3, write: 0, read: 2 });
  });
});
