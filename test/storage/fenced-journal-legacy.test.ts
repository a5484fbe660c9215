import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'cassandra-driver';
import { JournalConflictError } from '../../src/domain/errors.js';
import { journalRows, readJournal } from '../../src/storage/journal-reader.js';
import { readFencedJournal } from '../../src/storage/fenced-rows.js';
import { schemaKeyspace, testEngine, testFencedEngine, cancelEvent } from '../support/journal.js';

/*
 * A cluster switched from JOURNAL_MODE=lwt to =fenced: an order journaled before the switch stays
 * in the `lwt` layout's `journal`, read and continued there, and never gets a second history.
 */
const stored = cancelEvent;

describe('fenced journal, an order journaled before the switch', () => {
  let ks: { client: Client; keyspace: string; drop(): Promise<void> };
  beforeAll(async () => { ks = await schemaKeyspace('fenced_legacy'); });
  afterAll(async () => { await ks.drop(); });

  const lwtRows = async (orderId: string) => {
    const seqs: number[] = [];
    for await (const row of readJournal(ks.client, ks.keyspace, orderId)) seqs.push(row.seq);
    return seqs;
  };

  it('is recovered from, and continued in, the lwt journal', async () => {
    const before = testEngine(ks.client, ks.keyspace, 'old');
    for (let seq = 1; seq <= 2; seq++) await before.persist(stored('legacy-a', seq, 'old'));
    const fenced = testFencedEngine(ks.client, ks.keyspace, 'new');
    expect(await fenced.latestSnapshot('legacy-a')).toBeUndefined();
    expect(await fenced.events('legacy-a', 0).reduce<number[]>((acc, e) => [...acc, e.sequenceNumber], [])).toEqual([1, 2]);
    await fenced.persist(stored('legacy-a', 3, 'new'));
    expect(await lwtRows('legacy-a')).toEqual([1, 2, 3]);
    expect((await readFencedJournal(ks.client, ks.keyspace, 'legacy-a')).rows).toEqual([]);
  });

  it('is read by a node that does not run it', async () => {
    const before = testEngine(ks.client, ks.keyspace, 'old');
    await before.persist(stored('legacy-b', 1, 'old'));
    const reader = testFencedEngine(ks.client, ks.keyspace, 'reader', { fence: false });
    await reader.latestSnapshot('legacy-b');
    expect(await reader.events('legacy-b', 0).reduce<number[]>((acc, e) => [...acc, e.sequenceNumber], [])).toEqual([1]);
  });

  it('refuses a first event guessed new, so the order is recovered instead of placed twice', async () => {
    const before = testEngine(ks.client, ks.keyspace, 'old');
    await before.persist(stored('legacy-c', 1, 'old'));
    const fenced = testFencedEngine(ks.client, ks.keyspace, 'new');
    fenced.assumeEmpty('legacy-c');
    await expect(fenced.persist(stored('legacy-c', 1, 'new'))).rejects.toBeInstanceOf(JournalConflictError);
    expect((await readFencedJournal(ks.client, ks.keyspace, 'legacy-c')).rows).toEqual([]);
    expect((await journalRows(ks.client, ks.keyspace, 'legacy-c')).map((r) => r.writer)).toEqual(['old']);
  });
});
