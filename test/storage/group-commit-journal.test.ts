import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'cassandra-driver';
import type { OrderEvent } from '../../actors/order/order-events.js';
import type { StoredEvent } from '../../src/storage/persistence-engine.js';
import { JournalConflictError } from '../../src/domain/errors.js';
import { tallyCounters } from '../../src/storage/storage-counters.js';
import { createShardLogIndex } from '../../src/storage/shard-log-index.js';
import { schemaKeyspace, testGroupEngine } from '../support/journal.js';

const event = (orderId: string, seq: number): StoredEvent => ({
  data: { type: 'CancelRequested', v: 1, reason: `r${seq}`, at: seq, node: 'n' } satisfies OrderEvent,
  sequenceNumber: seq, key: orderId, createdAt: Date.now(), isDeleted: false, tags: [],
});
const seqs = (engine: ReturnType<typeof testGroupEngine>, key: string, offset = 0) =>
  engine.events(key, offset).reduce<number[]>((acc, e) => [...acc, e.sequenceNumber], []);

describe('the group-commit journal (shard logs)', () => {
  let ks: { client: Client; keyspace: string; drop(): Promise<void> };
  beforeAll(async () => { ks = await schemaKeyspace('groupjournal'); });
  afterAll(async () => { await ks.drop(); });

  it('reads an order\'s events back from its shard\'s log, after the requested offset', async () => {
    const engine = testGroupEngine(ks.client, ks.keyspace, 'n1', () => 'main/0');
    await engine.log('main/0').claim();
    for (let seq = 1; seq <= 5; seq++) await engine.persist(event('o-read', seq));
    await engine.persist(event('o-other', 1));
    expect(await seqs(engine, 'o-read')).toEqual([1, 2, 3, 4, 5]);
    expect(await seqs(engine, 'o-read', 3)).toEqual([4, 5]);
  });

  it('writes many orders\' events concurrently in a few conditional batches', async () => {
    const counters = tallyCounters();
    const engine = testGroupEngine(ks.client, ks.keyspace, 'n1', () => 'main/1', { counters });
    await engine.log('main/1').claim();
    counters.reset();
    await Promise.all(Array.from({ length: 60 }, (_, i) => engine.persist(event(`o-many-${i}`, 1))));
    const { lwt } = counters.totals();
    expect(lwt).toBeGreaterThanOrEqual(1);
    expect(lwt).toBeLessThanOrEqual(5); // one flush in flight; the rest collects behind it
    for (let i = 0; i < 60; i += 15) expect(await seqs(engine, `o-many-${i}`)).toEqual([1]);
  });

  it('never overwrites an order it has not read: a new order\'s first event is refused where the journal has one', async () => {
    const first = testGroupEngine(ks.client, ks.keyspace, 'n1', () => 'main/2');
    await first.log('main/2').claim();
    await first.persist(event('o-exists', 1));
    await first.persist(event('o-exists', 2));
    // A redelivered place command on a later owner: its actor guesses "empty" and skips the reads.
    const later = testGroupEngine(ks.client, ks.keyspace, 'n2', () => 'main/2');
    await later.log('main/2').claim();
    later.assumeEmpty('o-exists');
    expect(await seqs(later, 'o-exists')).toEqual([]);
    const refused = later.persist(event('o-exists', 1));
    const fine = later.persist(event('o-fresh', 1)); // in the same flush: only the taken position is refused
    await expect(refused).rejects.toBeInstanceOf(JournalConflictError);
    await expect(fine).resolves.toBeUndefined();
    // Recovered for real, the order carries on after its last event.
    expect(await seqs(later, 'o-exists')).toEqual([1, 2]);
    await later.persist(event('o-exists', 3));
    expect(await seqs(later, 'o-exists')).toEqual([1, 2, 3]);
  });

  it('refuses a second writer of one position inside one node (a stopped actor still finishing)', async () => {
    const engine = testGroupEngine(ks.client, ks.keyspace, 'n1', () => 'main/3');
    await engine.log('main/3').claim();
    await engine.persist(event('o-twice', 1));
    await expect(engine.persist(event('o-twice', 1))).rejects.toBeInstanceOf(JournalConflictError);
  });

  it('refuses every write to a shard it does not hold, or no longer holds', async () => {
    const engine = testGroupEngine(ks.client, ks.keyspace, 'n1', () => 'main/4');
    await expect(engine.persist(event('o-unowned', 1))).rejects.toBeInstanceOf(JournalConflictError);
    await engine.log('main/4').claim();
    await engine.persist(event('o-unowned', 1));
    engine.log('main/4').release();
    await expect(engine.persist(event('o-unowned', 2))).rejects.toBeInstanceOf(JournalConflictError);
  });

  it('fences the old owner the moment a new one claims the shard', async () => {
    const old = testGroupEngine(ks.client, ks.keyspace, 'old', () => 'main/5');
    await old.log('main/5').claim();
    await old.persist(event('o-moved', 1));
    const next = testGroupEngine(ks.client, ks.keyspace, 'new', () => 'main/5');
    await next.log('main/5').claim();
    await expect(old.persist(event('o-moved', 2))).rejects.toBeInstanceOf(JournalConflictError);
    expect(await seqs(next, 'o-moved')).toEqual([1]);
    await next.persist(event('o-moved', 2));
    expect(await seqs(next, 'o-moved')).toEqual([1, 2]);
  });

  it('lists a shard\'s unfinished orders from its own log, with no write of their own', async () => {
    const counters = tallyCounters();
    const engine = testGroupEngine(ks.client, ks.keyspace, 'n1', () => 'main/6', { counters });
    const index = createShardLogIndex({ engine, client: ks.client, keyspace: ks.keyspace, logIdOf: (s) => `main/${s}` });
    expect(await index.list(6)).toEqual([]); // listing is taking: it claims the shard first
    counters.reset();
    await index.add(6, 'o-open', 1);
    await engine.persist(event('o-open', 1));
    await index.add(6, 'o-done', 1);
    await engine.persist(event('o-done', 1));
    await index.remove(6, 'o-done');
    expect(counters.totals().lwt).toBeLessThanOrEqual(3); // markers ride in the events' flushes
    const next = testGroupEngine(ks.client, ks.keyspace, 'n2', () => 'main/6');
    const nextIndex = createShardLogIndex({ engine: next, client: ks.client, keyspace: ks.keyspace, logIdOf: (s) => `main/${s}` });
    expect(await nextIndex.list(6)).toEqual(['o-open']);
    await expect(engine.persist(event('o-open', 2))).rejects.toBeInstanceOf(JournalConflictError);
  });
});
