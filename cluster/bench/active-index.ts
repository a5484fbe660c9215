/**
 * `npm run bench:index`: how long a node given a shard takes to list the shard's unfinished
 * orders (`lwt` mode's `active_orders`) as finished orders pile up in it. Each finished order is
 * an add and a remove, as the order actors do; every remove leaves a tombstone that the listing
 * scans until compaction purges it (not before the table's gc_grace_seconds, 10 days).
 *
 *   --finished 3000,30000,120000   checkpoints: finished orders in the shard when it is listed
 *   --open 10                      unfinished orders that the listing must return each time
 *
 * Starts Cassandra as the local cluster does (`startLocalInfra`, Kafka skipped; it removes its
 * data at the end, also on failure) and applies the schema in the keyspace `bench_index`.
 */
import { parseArgs } from 'node:util';
import { startLocalInfra } from '../local/local-infra.js';
import { connectWithRetry, createCassandraClient } from '../../src/storage/cassandra-client.js';
import { createLogger } from '../../src/observability/logger.js';
import { createActiveOrderIndex, type ActiveOrderIndex } from '../../src/storage/active-orders.js';
import { table } from '../../src/load/stats.js';

const SHARD = 0;
const CONCURRENCY = 64;
const LISTINGS_PER_CHECKPOINT = 3;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { finished: { type: 'string' }, open: { type: 'string' } } });
  const checkpoints = (values.finished ?? '3000,30000,120000').split(',').map(Number);
  const open = Number(values.open ?? 10);
  if (checkpoints.some((n) => !Number.isInteger(n) || n < 0)) throw new Error('--finished takes whole numbers, e.g. 3000,30000');
  if (!Number.isInteger(open) || open < 0) throw new Error('--open must be a whole number');
  const infra = await startLocalInfra({ keyspace: 'bench_index', topics: [], skipKafka: true, logger: createLogger({ level: 'warn', name: 'bench' }) });
  const client = createCassandraClient({ contactPoints: infra.cassandraContactPoints, localDataCenter: infra.cassandraLocalDc });
  try {
    await connectWithRetry(client, { attempts: 3, backoff: { initialMs: 200, maxMs: 1_000 } });
    const index = createActiveOrderIndex({ client, keyspace: 'bench_index' });
    for (let i = 0; i < open; i++) await index.add(SHARD, `open-${i}`, Date.now());
    const rows: Array<Record<string, string | number>> = [];
    let finished = 0;
    for (const target of [...checkpoints].sort((a, b) => a - b)) {
      const started = Date.now();
      await churn(index, finished, target);
      const churnS = (Date.now() - started) / 1000;
      finished = target;
      const timings: string[] = [];
      for (let k = 0; k < LISTINGS_PER_CHECKPOINT; k++) timings.push(await timeListing(index, open));
      rows.push({ 'finished orders': finished, 'churn s': churnS.toFixed(1), ...Object.fromEntries(timings.map((t, k) => [`listing ${k + 1}`, t])) });
      process.stdout.write(`  ${finished} finished: ${timings.join(', ')}\n`);
    }
    process.stdout.write(`\nlisting one shard's ${open} unfinished orders (ms, or the error) as finished ones accumulate\n${table(rows)}\n`);
  } finally {
    await client.shutdown().catch(() => undefined);
    await infra.stop();
  }
}

/** Finishes orders from..to-1: an add then a remove each, CONCURRENCY at a time. */
async function churn(index: ActiveOrderIndex, from: number, to: number): Promise<void> {
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

async function timeListing(index: ActiveOrderIndex, open: number): Promise<string> {
  const started = Date.now();
  try {
    const ids = await index.list(SHARD);
    if (ids.length !== open) return `wrong: ${ids.length} listed`;
    return String(Date.now() - started);
  } catch (err) {
    return `failed after ${Date.now() - started} ms (${err instanceof Error ? err.name : 'error'})`;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:index failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
