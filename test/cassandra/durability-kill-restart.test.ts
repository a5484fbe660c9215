import { rm } from 'node:fs/promises';
import { concurrent, type Client } from 'cassandra-driver';
import { afterAll, describe, expect, it } from 'vitest';
import { startCassandra, type CassandraInstance } from '../../cluster/local/cassandra/cassandra-launcher.js';
import { connectWithRetry, createCassandraClient } from '../../src/storage/cassandra-client.js';
import { createTestKeyspace } from '../support/cassandra.js';

const ROWS = 500;

/** This file kills Cassandra, so it runs its own instance and leaves the shared one alone. */
describe('a write acknowledged by a Cassandra with commitlog_sync batch', () => {
  let cassandra: CassandraInstance | undefined;
  let client: Client | undefined;
  let dataDir: string | undefined;

  afterAll(async () => {
    try {
      await client?.shutdown();
      await cassandra?.kill();
    } finally {
      if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('survives kill -9 of Cassandra and a restart on the same data dir', async () => {
    cassandra = await startCassandra({ commitlogSync: 'batch' });
    dataDir = cassandra.dataDir;
    client = await connect(cassandra);
    const keyspace = await createTestKeyspace(client, 'durability');
    await client.execute(`CREATE TABLE ${keyspace}.orders (id int PRIMARY KEY, total bigint)`, [], { prepare: false });
    const written = Array.from({ length: ROWS }, (_, id) => [id, BigInt(id) * 1_000n + 7n] as const);
    // Resolves only once every insert is acknowledged; the first failure rejects.
    await concurrent.executeConcurrent(client, `INSERT INTO ${keyspace}.orders (id, total) VALUES (?, ?)`, written.map((row) => [...row]), {
      concurrencyLevel: 32,
    });
    await client.shutdown();
    client = undefined;

    await cassandra.kill();
    cassandra = await startCassandra({ dataDir, commitlogSync: 'batch' });
    client = await connect(cassandra);
    const result = await client.execute(`SELECT id, total FROM ${keyspace}.orders`, [], { prepare: false, fetchSize: ROWS * 2 });
    const read = new Map(result.rows.map((row) => [Number(row.get('id')), row.get('total') as bigint]));

    expect(read.size).toBe(ROWS);
    expect(written.filter(([id, total]) => read.get(id) !== total)).toEqual([]);
  });
});

async function connect(cassandra: CassandraInstance): Promise<Client> {
  const client = createCassandraClient({ contactPoints: [cassandra.contactPoint], localDataCenter: 'datacenter1' });
  await connectWithRetry(client, { attempts: 3, backoff: { initialMs: 200, maxMs: 1_000 } });
  return client;
}
