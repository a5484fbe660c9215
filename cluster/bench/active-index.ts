/**
 * `npm run bench:index`: how long a node given a shard takes to list the shard's unfinished
 * orders (`lwt` mode's index) as finished orders pile up in it, and how many tombstones that
 * listing reads. Each finished order is an add and a remove, as the order actors do; every remove
 * leaves a tombstone until compaction purges it (not before gc_grace_seconds, 10 days). The owner
 * raises the shard's low-water mark as it would in service, so a listing reads only the
 * tombstones of orders finished since the oldest open one.
 *
 *   --finished 3000,30000,120000   checkpoints: finished orders in the shard when it is listed
 *   --open 10                      orders kept open across the run (the listing must return them)
 *   --move-after-ms 2000           an order open longer is written again at the current time
 *                                  (60 000 in service; the churn here is ≈200× a shard's in service)
 *   --no-raise                     never raise the mark (the index as it was before 2026-12-02)
 *
 * Starts Cassandra as the local cluster does (`startLocalInfra`, Kafka skipped; it removes its
 * data at the end, also on failure) and applies the schema in the keyspace `bench_index`.
 */
import { parseArgs } from 'node:util';
import type { Client } from 'cassandra-driver';
import { startLocalInfra } from '../local/local-infra.js';
import { connectWithRetry, createCassandraClient } from '../../src/storage/cassandra-client.js';
import { createLogger } from '../../src/observability/logger.js';
import { createActiveOrderIndex, type PositionedOrderIndex } from '../../src/storage/active-orders.js';
import { table } from '../../src/load/stats.js';
import { readCellsTraced } from './read-cells-traced.js';

const SHARD = 0;
const CONCURRENCY = 64;
const LISTINGS_PER_CHECKPOINT = 3;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { finished: { type: 'string' }, open: { type: 'string' }, 'move-after-ms': { type: 'string' }, 'no-raise': { type: 'boolean' } } });
  const checkpoints = (values.finished ?? '3000,30000,120000').split(',').map(Number);
  const open = Number(values.open ?? 10);
  if (checkpoints.some((n) => !Number.isInteger(n) || n < 0)) throw new Error('--finished takes whole numbers, e.g. 3000,30000');
  if (!Number.isInteger(open) || open < 0) throw new Error('--open must be a whole number');
  const moveAfterMs = Number(values['move-after-ms'] ?? 2_000);
  if (!(moveAfterMs > 0)) throw new Error('--move-after-ms must be a positive number');
  const raise = !values['no-raise'];
  const infra = await startLocalInfra({ keyspace: 'bench_index', topics: [], skipKafka: true, logger: createLogger({ level: 'warn', name: 'bench' }) });
  const client = createCassandraClient({ contactPoints: infra.cassandraContactPoints, localDataCenter: infra.cassandraLocalDc });
  let index: PositionedOrderIndex | undefined;
  try {
    await connectWithRetry(client, { attempts: 3, backoff: { initialMs: 200, maxMs: 1_000 } });
    index = createActiveOrderIndex({ client, keyspace: 'bench_index', moveAfterMs, raiseEveryMs: raise ? 1_000 : 3_600_000 });
    await index.list(SHARD); // the claim and first listing, as a node taking the shard does
    for (let i = 0; i < open; i++) await index.add(SHARD, `open-${i}`, Date.now());
    const rows: Array<Record<string, string | number>> = [];
    let finished = 0;
    for (const target of [...checkpoints].sort((a, b) => a - b)) {
      const started = Date.now();
      await churn(index, finished, target);
      const churnS = (Date.now() - started) / 1000;
      finished = target;
      if (raise) await index.raiseMark(SHARD);
      const tombstones = await tombstonesRead(client, open);
      const timings: string[] = [];
      for (let k = 0; k < LISTINGS_PER_CHECKPOINT; k++) timings.push(await timeListing(open, client));
      index.release?.(SHARD); // the timed listings took the shard: take it back, as after a failover
      await index.list(SHARD);
      rows.push({ 'finished orders': finished, 'churn s': churnS.toFixed(1), 'tombstones read': tombstones, ...Object.fromEntries(timings.map((t, k) => [`listing ${k + 1}`, t])) });
      process.stdout.write(`  ${finished} finished: ${timings.join(', ')}\n`);
    }
    process.stdout.write(`\nlisting one shard's ${open} unfinished orders (ms, or the error) as finished ones accumulate; ${raise ? `mark raised, orders open over ${moveAfterMs} ms moved up` : 'mark never raised'}\n${table(rows)}\n`);
  } finally {
    index?.release?.(SHARD);
    await client.shutdown().catch(() => undefined);
    await infra.stop();
  }
}

/** Finishes orders from..to-1: an add then a remove each, CONCURRENCY at a time. */
async function churn(index: PositionedOrderIndex, from: number, to: number): Promise<void> {
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const id = `done-${next++}`;
      await index.add(SHARD, id, Date.now());
      await index.remove(SHARD, id);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** A node's listing of the shard, as a new owner runs it (its own claim, then the read from the mark). */
async function timeListing(open: number, client: Client): Promise<string> {
  const newOwner = createActiveOrderIndex({ client, keyspace: 'bench_index', raiseEveryMs: 3_600_000 });
  const started = Date.now();
  try {
    const ids = await newOwner.list(SHARD);
    if (ids.length !== open) return `wrong: ${ids.length} listed`;
    return String(Date.now() - started);
  } catch (err) {
    return `failed after ${Date.now() - started} ms (${err instanceof Error ? err.name : 'error'})`;
  } finally {
    newOwner.release?.(SHARD);
  }
}

/** Cassandra's own count of the tombstoned cells the listing's read went through (query tracing). */
async function tombstonesRead(client: Client, open: number): Promise<string> {
  const mark = (await client.execute('SELECT low_water FROM bench_index.active_order_shards WHERE shard = ?', [SHARD], { prepare: true })).first()?.get('low_water') as bigint | undefined;
  try {
    const rs = await client.execute('SELECT order_id FROM bench_index.active_orders_by_position WHERE shard = ? AND position >= ?', [SHARD, mark ?? 0n], { prepare: true, traceQuery: true, readTimeout: 30_000 });
    if (rs.rowLength !== open) return `wrong: ${rs.rowLength} rows`;
    const cells = await readCellsTraced(client, rs.info.traceId);
    return cells ? String(cells.tombstones) : 'no trace';
  } catch (err) {
    return `failed (${err instanceof Error ? err.name : 'error'})`;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:index failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
