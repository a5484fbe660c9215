import { rm } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { startCassandra } from '../../cluster/local/cassandra/cassandra-launcher.js';
import { connectWithRetry, createCassandraClient } from '../../src/storage/cassandra-client.js';
import type { CassandraTestInfra } from '../support/cassandra.js';

const logger = {
  info: (message: string): void => console.log(`[cassandra] ${message}`),
  warn: (message: string): void => console.warn(`[cassandra] ${message}`),
};

/**
 * One Cassandra for the whole run: the one named by CASSANDRA_CONTACT_POINTS (comma-separated
 * host:port, with CASSANDRA_LOCAL_DC, default datacenter1), else a local node started here with
 * a durable commitlog and stopped by the returned teardown, which vitest runs even when tests fail.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adopted = process.env.CASSANDRA_CONTACT_POINTS?.split(',').map((point) => point.trim()).filter(Boolean) ?? [];
  if (adopted.length > 0) {
    const infra: CassandraTestInfra = {
      contactPoints: adopted,
      localDataCenter: process.env.CASSANDRA_LOCAL_DC?.trim() || 'datacenter1',
    };
    await checkReachable(infra);
    project.provide('cassandra', infra);
    return async () => undefined;
  }

  const cassandra = await startCassandra({ commitlogSync: 'batch', logger });
  project.provide('cassandra', { contactPoints: [cassandra.contactPoint], localDataCenter: 'datacenter1' });
  return async () => {
    await cassandra.stop();
    await rm(cassandra.dataDir, { recursive: true, force: true });
  };
}

/** Fail the run once with a clear message, not every test with a driver error. */
async function checkReachable(infra: CassandraTestInfra): Promise<void> {
  const client = createCassandraClient({ ...infra, logger });
  try {
    await connectWithRetry(client, { attempts: 3, backoff: { initialMs: 500, maxMs: 2_000 } });
  } finally {
    await client.shutdown();
  }
}
