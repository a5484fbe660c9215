import { rm } from 'node:fs/promises';
import type { Client } from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SUPERUSER, startCassandra, type CassandraInstance } from '../../cluster/local/cassandra/cassandra-launcher.js';
import { loadConfig } from '../../src/config/config.js';
import { cassandraSecurityOf } from '../../src/config/transport-security.js';
import { CassandraUnreachableError, connectWithRetry, createCassandraClient } from '../../src/storage/cassandra-client.js';

/*
 * A Cassandra of this test's own with PasswordAuthenticator (the run's shared one lets anyone
 * in): a node's CASSANDRA_USERNAME and CASSANDRA_PASSWORD must get it in, and nothing else may.
 */
describe('a Cassandra that requires a login', () => {
  let cassandra: CassandraInstance;
  const clients: Client[] = [];
  const clientWith = (env: Record<string, string>): Client => {
    const config = loadConfig({ CASSANDRA_CONTACT_POINTS: cassandra.contactPoint, KAFKA_BROKERS: 'unused:9092', CHECKOUT_DEV_MODE: 'true', ...env });
    const client = createCassandraClient({ contactPoints: config.CASSANDRA_CONTACT_POINTS, localDataCenter: config.CASSANDRA_LOCAL_DC, ...cassandraSecurityOf(config) });
    clients.push(client);
    return client;
  };
  const refusal = (client: Client): Promise<unknown> => connectWithRetry(client, { attempts: 3, backoff: { initialMs: 200, maxMs: 500 } }).then(() => undefined, (err: unknown) => err);

  beforeAll(async () => {
    // Small and not durable: this instance only proves the login; readiness waits for the default superuser.
    cassandra = await startCassandra({ passwordAuth: true, heapMb: 96, commitlogSync: 'periodic' });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.shutdown().catch(() => undefined);
    await cassandra?.stop();
    if (cassandra) await rm(cassandra.dataDir, { recursive: true, force: true });
  }, 60_000);

  it('lets a client configured with CASSANDRA_USERNAME and CASSANDRA_PASSWORD log in and query', async () => {
    const client = clientWith({ CASSANDRA_USERNAME: DEFAULT_SUPERUSER.username, CASSANDRA_PASSWORD: DEFAULT_SUPERUSER.password });
    await connectWithRetry(client, { attempts: 3, backoff: { initialMs: 200, maxMs: 500 } });
    const rs = await client.execute('SELECT release_version FROM system.local', [], { prepare: false });
    expect(String(rs.first()?.get('release_version'))).toMatch(/^2\.1\./);
  });

  it('refuses a client without a login, at once and as a refusal rather than "unreachable"', async () => {
    const err = await refusal(clientWith({}));
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(CassandraUnreachableError);
    expect(String((err as Error).message)).toMatch(/authenticat/i);
  });

  it('refuses a wrong password', async () => {
    const err = await refusal(clientWith({ CASSANDRA_USERNAME: 'cassandra', CASSANDRA_PASSWORD: 'not-the-password' }));
    expect(err).not.toBeInstanceOf(CassandraUnreachableError);
    expect(String((err as Error).message)).toMatch(/password|credentials|authenticat/i);
  });
});
