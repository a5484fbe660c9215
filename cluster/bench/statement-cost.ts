/**
 * `npm run bench:statements`: what one journal append costs Cassandra and the client, by kind of
 * statement, on this machine: a plain insert, a conditional insert (`IF NOT EXISTS`, one Paxos
 * round), a plain insert followed by a read of a static column (the `fenced` journal's append and
 * fence read), and that read alone. Each kind runs `--ops` statements with `--concurrency` in
 * flight, on fresh partitions, twice (the first round also warms the JIT), and prints statements
 * per second and CPU ms per statement for the Cassandra process and for this client.
 *
 *   --ops 3000          statements per kind and round
 *   --concurrency 4     statements in flight
 *
 * Starts its own Cassandra with the local cluster's settings (durable `commitlog_sync: batch`,
 * CASSANDRA_JIT / CASSANDRA_HEAP_MB / CASSANDRA_COMMITLOG_WINDOW_MS as for `npm start`) and stops
 * it at the end, also on failure.
 */
import { parseArgs } from 'node:util';
import cassandra from 'cassandra-driver';
import { startCassandra } from '../local/cassandra/cassandra-launcher.js';
import { cassandraTuning } from '../local/local-infra.js';
import { createCassandraClient } from '../../src/storage/cassandra-client.js';
import { table } from '../../src/load/stats.js';
import { processCpuSeconds } from './bench-cluster.js';

const KS = 'bench_statements';
const { consistencies } = cassandra.types;
const quorum = { prepare: true, consistency: consistencies.quorum };
const lwt = { ...quorum, serialConsistency: consistencies.serial };

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { ops: { type: 'string' }, concurrency: { type: 'string' } } });
  const ops = Number(values.ops ?? 3_000);
  const concurrency = Number(values.concurrency ?? 4);
  if (!Number.isInteger(ops) || ops < 1 || !Number.isInteger(concurrency) || concurrency < 1) throw new Error('--ops and --concurrency take whole numbers ≥ 1');
  const db = await startCassandra({ commitlogSync: 'batch', ...cassandraTuning({}) });
  const client = createCassandraClient({ contactPoints: [db.contactPoint], localDataCenter: 'datacenter1' });
  try {
    await client.connect();
    await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await client.execute(`CREATE TABLE IF NOT EXISTS ${KS}.rows (k text, seq bigint, payload text, owner int static, PRIMARY KEY (k, seq))`);
    const payload = 'x'.repeat(300); // about an order event's size
    const insert = `INSERT INTO ${KS}.rows (k, seq, payload) VALUES (?, ?, ?)`;
    const fenceRead = `SELECT owner FROM ${KS}.rows WHERE k = ? LIMIT 1`;
    const kinds: Record<string, (key: string) => Promise<unknown>> = {
      'plain insert': (key) => client.execute(insert, [key, 1n, payload], quorum),
      'conditional insert (LWT)': (key) => client.execute(`${insert} IF NOT EXISTS`, [key, 1n, payload], lwt),
      'plain insert + fence read': async (key) => { await client.execute(insert, [key, 1n, payload], quorum); await client.execute(fenceRead, [key], quorum); },
      'fence read alone': (key) => client.execute(fenceRead, [key], quorum),
    };
    const rows: Array<Record<string, string | number>> = [];
    for (const round of [1, 2]) {
      for (const [kind, run] of Object.entries(kinds)) {
        const dbBefore = await processCpuSeconds(db.pid);
        const meBefore = process.cpuUsage();
        const started = Date.now();
        let next = 0;
        await Promise.all(Array.from({ length: concurrency }, async () => {
          while (next < ops) await run(`r${round}-${kind.length}-${next++}`);
        }));
        const seconds = (Date.now() - started) / 1000;
        const me = process.cpuUsage(meBefore);
        rows.push({
          round, kind, 'statements/s': Math.round(ops / seconds),
          'Cassandra CPU ms each': (((await processCpuSeconds(db.pid)) - dbBefore) * 1000 / ops).toFixed(2),
          'client CPU ms each': ((me.user + me.system) / 1000 / ops).toFixed(2),
        });
      }
    }
    process.stdout.write(`\nOne statement's cost, ${ops} per kind and round, ${concurrency} in flight, commitlog_sync=batch (the fence-read row is two statements)\n${table(rows)}\n`);
    process.stdout.write(`${JSON.stringify({ bench: 'statements', ops, concurrency, rows })}\n`);
  } finally {
    await client.shutdown().catch(() => undefined);
    await db.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
