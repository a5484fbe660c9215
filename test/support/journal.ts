import type { Client } from 'cassandra-driver';
import type { OrderEvent } from '../../actors/order/order-events.js';
import { createCassandraPersistenceEngine } from '../../src/storage/cassandra-persistence-engine.js';
import { createGroupCommitEngine } from '../../src/storage/group-commit-engine.js';
import { createFencedJournalEngine } from '../../src/storage/fenced-journal-engine.js';
import { orderEventCodec } from '../../actors/order-runtime.js';
import { applySchema } from '../../src/storage/schema.js';
import type { StorageCounters } from '../../src/storage/storage-counters.js';
import { connectTestClient } from './cassandra.js';
import { randomBytes } from 'node:crypto';

/** A fresh keyspace with the service's schema, and a client bound to nothing (queries name it). */
export async function schemaKeyspace(prefix: string): Promise<{ client: Client; keyspace: string; drop(): Promise<void> }> {
  const client = await connectTestClient();
  const keyspace = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await applySchema(client, keyspace);
  return {
    client,
    keyspace,
    drop: async () => {
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
      await client.shutdown();
    },
  };
}

export function testEngine(client: Client, keyspace: string, writerId: string, extra: { pageSize?: number; counters?: StorageCounters } = {}) {
  return createCassandraPersistenceEngine({ client, keyspace, writerId, codec: orderEventCodec, ...extra });
}

/** A group-commit engine whose every order lives in one log (tests pick the log per case). */
export function testGroupEngine(client: Client, keyspace: string, writerId: string, logOf: (orderId: string) => string, extra: { counters?: StorageCounters; pageSize?: number } = {}) {
  return createGroupCommitEngine({ client, keyspace, writerId, codec: orderEventCodec, logOf, ...extra });
}

/** A JOURNAL_MODE=fenced engine: `fence: false` for a reader that must never take the order. */
export function testFencedEngine(client: Client, keyspace: string, writerId: string, extra: { fence?: boolean; counters?: StorageCounters } = {}) {
  return createFencedJournalEngine({ client, keyspace, writerId, codec: orderEventCodec, fence: extra.fence ?? true, ...(extra.counters ? { counters: extra.counters } : {}) });
}

/** An event to persist in engine tests: a CancelRequested at `seq` that names the node writing it. */
export const cancelEvent = (orderId: string, seq: number, node: string) => ({
  data: { type: 'CancelRequested', v: 1, reason: `r${seq}`, at: seq, node } satisfies OrderEvent,
  sequenceNumber: seq, key: orderId, createdAt: Date.now(), isDeleted: false, tags: [] as string[],
});
