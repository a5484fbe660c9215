import type { Client } from 'cassandra-driver';

/**
 * The service's tables. Applied by one process (the local launcher, also for an existing cluster
 * named by env vars) before nodes start: in Cassandra 2.1, two clients creating the same table at
 * once broke the keyspace ("Column family ID mismatch") until a restart.
 */
export function schemaStatements(keyspace: string, replication = "{'class': 'SimpleStrategy', 'replication_factor': 1}"): string[] {
  return [
    `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${replication}`,
    // One row per persisted event of an order; appends are conditional on (order_id, seq), so two
    // writers of one order can never both write the same position.
    `CREATE TABLE IF NOT EXISTS ${keyspace}.journal (
       order_id text, seq bigint, event_type text, schema_version int, payload text,
       tags set<text>, created_at bigint, writer text,
       PRIMARY KEY (order_id, seq)) WITH CLUSTERING ORDER BY (seq ASC)`,
    // JOURNAL_MODE=group: one partition per shard log (`<pool>/<shard>`), holding every event of
    // the shard's orders (kind 'e', by order and seq), a marker per unfinished order (kind 'o'), and
    // the static epoch of the shard's current writer. A flush is one conditional batch
    // `IF epoch = <the writer's epoch>` (src/storage/shard-log.ts). Only markers are ever deleted,
    // and a marker brought back by a missed repair only wakes a finished order once (it is seen
    // terminal and dropped), so their tombstones may go after an hour instead of ten days.
    `CREATE TABLE IF NOT EXISTS ${keyspace}.order_log (
       log_id text, kind text, order_id text, seq bigint,
       epoch bigint static, owner text static,
       event_type text, schema_version int, payload text, created_at bigint, writer text,
       PRIMARY KEY (log_id, kind, order_id, seq))
       WITH gc_grace_seconds = 3600`,
    // JOURNAL_MODE=fenced (src/storage/fenced-journal-engine.ts): per order, like `journal`, but
    // only the first event is conditional. Rows are keyed by position and writer generation, the
    // statics name the generation that may append now and where each later generation began.
    `CREATE TABLE IF NOT EXISTS ${keyspace}.fenced_journal (
       order_id text, seq bigint, gen int, event_type text, schema_version int, payload text,
       created_at bigint, writer text, owner_gen int static, gen_bases map<int, bigint> static,
       PRIMARY KEY (order_id, seq, gen))`,
    `CREATE TABLE IF NOT EXISTS ${keyspace}.fenced_snapshots (
       order_id text, seq bigint, gen int, schema_version int, state text, created_at bigint,
       PRIMARY KEY (order_id, seq, gen)) WITH CLUSTERING ORDER BY (seq DESC, gen DESC)`,
    `CREATE TABLE IF NOT EXISTS ${keyspace}.snapshots (
       order_id text, seq bigint, schema_version int, state text, created_at bigint,
       PRIMARY KEY (order_id, seq)) WITH CLUSTERING ORDER BY (seq DESC)`,
    // Idempotency keys are scoped to the consumer and expire (TTL set per insert).
    `CREATE TABLE IF NOT EXISTS ${keyspace}.idempotency_keys (
       consumer_id text, idempotency_key text, request_hash text, order_id text,
       outcome text, created_at bigint,
       PRIMARY KEY ((consumer_id, idempotency_key)))`,
    // Orders that are not terminal yet, by shard: what a node recovers when it takes a shard
    // (src/storage/active-orders.ts). Rows sit by position (a time) so that a listing starts at
    // the shard's low-water mark and never scans the tombstones of orders finished before it.
    `CREATE TABLE IF NOT EXISTS ${keyspace}.active_orders_by_position (
       shard int, position bigint, order_id text,
       PRIMARY KEY (shard, position, order_id))`,
    // Per shard: the epoch of its current owner (one LWT per takeover) and the low-water mark that
    // only that owner raises (`IF epoch = <mine>`): no unfinished order of the shard sits below it.
    `CREATE TABLE IF NOT EXISTS ${keyspace}.active_order_shards (
       shard int PRIMARY KEY, epoch bigint, low_water bigint)`,
    // One row per live node, rewritten every second with a short TTL (src/dashboard/): the
    // dashboard's cluster-wide picture of nodes, their shards and their counters.
    `CREATE TABLE IF NOT EXISTS ${keyspace}.node_status (
       node_id text PRIMARY KEY, pool text, http_address text, grpc_address text,
       shards list<int>, shard_count int, counters text, started_at bigint, updated_at bigint)`,
    // One row per node, written by its storage watchdog (cluster/storage-watchdog.ts) to learn
    // whether this node can still write at all; short TTL, never read.
    `CREATE TABLE IF NOT EXISTS ${keyspace}.storage_probe (node_id text PRIMARY KEY, at bigint)`,
  ];
}

export async function applySchema(client: Client, keyspace: string): Promise<void> {
  for (const statement of schemaStatements(keyspace)) await client.execute(statement, [], { prepare: false });
}
