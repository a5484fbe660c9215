import type { Client } from 'cassandra-driver';
import type { CountersSnapshot } from './counters-snapshot.js';
import type { RecentActivity } from './recent-window.js';

/** One node's row in `node_status`: who it is, where it answers, what it owns and has done. */
export interface NodeStatusRow {
  nodeId: string;
  pool: string;
  /** The node's admin HTTP listener (dashboard, /api, /metrics); stored in the `http_address` column. */
  adminAddress: string;
  grpcAddress: string;
  shards: number[];
  /** Partitions of the node's pool's commands topic. */
  shardCount: number;
  counters: CountersSnapshot;
  recent: RecentActivity;
  startedAt: number;
  updatedAt: number;
}

/** Rows expire by themselves, so a node that died leaves the table without anyone's help. */
export const NODE_STATUS_TTL_S = 10;

export interface NodeStatusTable {
  upsert(row: NodeStatusRow): Promise<void>;
  remove(nodeId: string): Promise<void>;
  readAll(): Promise<NodeStatusRow[]>;
}

export function createNodeStatusTable(client: Client, keyspace: string): NodeStatusTable {
  return {
    async upsert(row) {
      await client.execute(
        `INSERT INTO ${keyspace}.node_status (node_id, pool, http_address, grpc_address, shards, shard_count, counters, started_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ${NODE_STATUS_TTL_S}`,
        [row.nodeId, row.pool, row.adminAddress, row.grpcAddress, row.shards, row.shardCount,
          encodeFigures(row.counters, row.recent), BigInt(Math.round(row.startedAt)), BigInt(Math.round(row.updatedAt))],
        { prepare: true },
      );
    },
    async remove(nodeId) {
      await client.execute(`DELETE FROM ${keyspace}.node_status WHERE node_id = ?`, [nodeId], { prepare: true });
    },
    async readAll() {
      const rs = await client.execute(`SELECT node_id, pool, http_address, grpc_address, shards, shard_count, counters, started_at, updated_at FROM ${keyspace}.node_status`, [], { prepare: true });
      return rs.rows.map((r) => {
        const figures = decodeFigures(r.counters as string | null);
        return {
          nodeId: r.node_id as string,
          pool: (r.pool as string | null) ?? 'main',
          adminAddress: (r.http_address as string | null) ?? '',
          grpcAddress: (r.grpc_address as string | null) ?? '',
          shards: ((r.shards as number[] | null) ?? []).map(Number),
          shardCount: Number(r.shard_count ?? 0),
          ...figures,
          startedAt: Number(r.started_at ?? 0),
          updatedAt: Number(r.updated_at ?? 0),
        };
      });
    },
  };
}

// JSON has no Infinity: the +Inf bucket's bound is written as null.
const encodeBuckets = (buckets: Array<[number, number]>) => buckets.map(([le, n]) => [Number.isFinite(le) ? le : null, n]);
const decodeBuckets = (buckets: unknown): Array<[number, number]> => (Array.isArray(buckets) ? buckets : [])
  .filter((b): b is [number | null, number] => Array.isArray(b) && typeof b[1] === 'number')
  .map(([le, n]) => [le === null ? Infinity : Number(le), n]);

function encodeFigures(counters: CountersSnapshot, recent: RecentActivity): string {
  return JSON.stringify({
    counters: { ...counters, durationBuckets: encodeBuckets(counters.durationBuckets) },
    recent: { ...recent, durationBuckets: encodeBuckets(recent.durationBuckets) },
  });
}

/** A row written by an older or newer build still reads: anything missing counts as zero. */
export function decodeFigures(text: string | null): { counters: CountersSnapshot; recent: RecentActivity } {
  let parsed: { counters?: Partial<CountersSnapshot>; recent?: Partial<RecentActivity> } = {};
  try { parsed = text ? JSON.parse(text) as typeof parsed : {}; } catch { parsed = {}; }
  const c = parsed.counters ?? {};
  const r = parsed.recent ?? {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    counters: {
      placed: num(c.placed),
      terminal: Object.fromEntries(Object.entries(c.terminal ?? {}).map(([k, v]) => [k, num(v)])),
      failedAttempts: num(c.failedAttempts),
      savedByRetry: num(c.savedByRetry),
      ...(c.fallbacks ? { fallbacks: Object.fromEntries(Object.entries(c.fallbacks).map(([k, v]) => [k, num(v)])), savedByFallback: num(c.savedByFallback) } : {}),
      compensations: num(c.compensations),
      durationBuckets: decodeBuckets(c.durationBuckets),
      ...(c.liveByStatus ? { liveByStatus: Object.fromEntries(Object.entries(c.liveByStatus).map(([k, v]) => [k, num(v)])) } : {}),
    },
    recent: { completedPerSec: num(r.completedPerSec), durationBuckets: decodeBuckets(r.durationBuckets) },
  };
}
