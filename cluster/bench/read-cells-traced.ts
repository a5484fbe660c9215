import type { Client, types } from 'cassandra-driver';

/**
 * Cassandra's own count of the cells a traced read went through, from its query trace ("Read N
 * live and M tombstoned cells"). The trace is written asynchronously, so it is polled (up to
 * ≈10 s); undefined if it never shows a read event.
 */
export async function readCellsTraced(client: Client, traceId: types.Uuid): Promise<{ live: number; tombstones: number } | undefined> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const trace = await client.metadata.getTrace(traceId).catch(() => undefined);
    const read = trace?.events.map((e) => /Read (\d+) live and (\d+) tombstoned cells/.exec(e.activity)).find(Boolean);
    if (read) return { live: Number(read[1]), tombstones: Number(read[2]) };
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}
