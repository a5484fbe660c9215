import { randomBytes } from 'node:crypto';
import type { Client } from 'cassandra-driver';
import { inject } from 'vitest';
import { connectWithRetry, createCassandraClient } from '../../src/storage/cassandra-client.js';

/** The Cassandra every test file shares: started by test/setup/cassandra.global.ts or adopted
 *  from CASSANDRA_CONTACT_POINTS. */
export interface CassandraTestInfra {
  contactPoints: string[];
  localDataCenter: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    cassandra: CassandraTestInfra;
  }
}

export function cassandraTestInfra(): CassandraTestInfra {
  return inject('cassandra');
}

/** A connected client for the shared Cassandra; the caller shuts it down. */
export async function connectTestClient(opts: { keyspace?: string } = {}): Promise<Client> {
  const client = createCassandraClient({ ...cassandraTestInfra(), keyspace: opts.keyspace });
  await connectWithRetry(client, { attempts: 3, backoff: { initialMs: 200, maxMs: 1_000 } });
  return client;
}

/**
 * Creates a keyspace no other test (or earlier run) uses and returns its name. Tests isolate
 * their data this way: no TRUNCATE races, and no DROP/CREATE of a table name reused under a
 * cached prepared statement, which Cassandra 2.1 answers by silently losing writes.
 * Run DDL from one client at a time: concurrent DDL can corrupt a 2.1 keyspace's schema.
 */
export async function createTestKeyspace(client: Client, prefix: string): Promise<string> {
  if (!/^[a-z][a-z0-9_]{0,20}$/.test(prefix)) {
    throw new Error(`keyspace prefix must match [a-z][a-z0-9_]{0,20}, got "${prefix}"`);
  }
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await client.execute(
    `CREATE KEYSPACE ${name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    [],
    { prepare: false },
  );
  return name;
}

/** Drops a keyspace made by createTestKeyspace (idempotent, so it is safe in afterAll). */
export async function dropTestKeyspace(client: Client, name: string): Promise<void> {
  await client.execute(`DROP KEYSPACE IF EXISTS ${name}`, [], { prepare: false });
}
