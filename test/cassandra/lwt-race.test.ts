import type { Client } from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestClient, createTestKeyspace, dropTestKeyspace } from '../support/cassandra.js';

const KEYS = 200;
/** Keys raced at once; each key gets its two competing inserts in the same tick. */
const WINDOW = 20;

interface Attempt {
  applied: boolean;
  /** The owner the row holds as seen by this attempt (its own when applied). */
  seenOwner: string;
}

describe('INSERT … IF NOT EXISTS sent for the same key by two clients at once', () => {
  let admin: Client | undefined;
  const racers: Client[] = [];
  let keyspace = '';
  const outcomes = new Map<string, { a: Attempt; b: Attempt }>();
  let stored = new Map<string, string>();

  beforeAll(async () => {
    admin = await connectTestClient();
    keyspace = await createTestKeyspace(admin, 'lwt_race');
    await admin.execute(`CREATE TABLE ${keyspace}.claims (id text PRIMARY KEY, owner text)`, [], { prepare: false });
    racers.push(await connectTestClient({ keyspace }), await connectTestClient({ keyspace }));
    const [a, b] = racers as [Client, Client];

    const keys = Array.from({ length: KEYS }, (_, i) => `order-${i}`);
    for (let i = 0; i < keys.length; i += WINDOW) {
      await Promise.all(
        keys.slice(i, i + WINDOW).map(async (id) => {
          const [fromA, fromB] = await Promise.all([claim(a, id, 'a'), claim(b, id, 'b')]);
          outcomes.set(id, { a: fromA, b: fromB });
        }),
      );
    }
    const rows = await admin.execute(`SELECT id, owner FROM ${keyspace}.claims`, [], { prepare: false, fetchSize: 1000 });
    stored = new Map(rows.rows.map((row) => [String(row.get('id')), String(row.get('owner'))]));
  });

  afterAll(async () => {
    try {
      if (admin !== undefined && keyspace !== '') await dropTestKeyspace(admin, keyspace);
    } finally {
      await Promise.all([admin, ...racers].map((client) => client?.shutdown()));
    }
  });

  it('applies exactly one of the two inserts for every key', () => {
    expect(outcomes.size).toBe(KEYS);
    const winnersPerKey = [...outcomes.values()].map(({ a, b }) => Number(a.applied) + Number(b.applied));
    expect(winnersPerKey.filter((winners) => winners !== 1)).toEqual([]);
  });

  it("stores the winner's row and shows it to the losing client", () => {
    expect(stored.size).toBe(KEYS);
    for (const [id, { a, b }] of outcomes) {
      const winner = a.applied ? 'a' : 'b';
      const loser = a.applied ? b : a;
      expect({ id, stored: stored.get(id), seenByLoser: loser.seenOwner }).toEqual({ id, stored: winner, seenByLoser: winner });
    }
  });
});

async function claim(client: Client, id: string, owner: string): Promise<Attempt> {
  const result = await client.execute('INSERT INTO claims (id, owner) VALUES (?, ?) IF NOT EXISTS', [id, owner]);
  const row = result.first();
  const applied = row.get('[applied]') === true;
  // A refused conditional insert returns the existing row alongside [applied] = false.
  return { applied, seenOwner: applied ? owner : String(row.get('owner')) };
}
