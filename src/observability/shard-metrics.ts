import { Counter, Gauge, type Registry } from 'prom-client';

/** Which shards this node owns, how often its group rebalanced, how far behind each owned shard is, and what it dead-lettered. */
export interface ShardMetrics {
  onShardsChanged(owned: readonly number[]): void;
  onRebalance(): void;
  /** Lag (messages not yet committed) per owned partition; partitions not named are dropped. */
  setLag(topic: string, lagByPartition: ReadonlyMap<number, number>): void;
  /** A command that could not be read went to the dead-letter topic. */
  onDeadLettered(reason: string): void;
}

export function createShardMetrics(registry: Registry, shards: number): ShardMetrics {
  const owned = new Gauge({ name: 'checkout_shard_owned', help: '1 for each shard (order-commands partition) this node owns, 0 otherwise', labelNames: ['shard'], registers: [registry] });
  const rebalances = new Counter({ name: 'checkout_rebalances_total', help: 'Consumer-group rebalances (group joins) this node took part in', registers: [registry] });
  const lag = new Gauge({ name: 'checkout_kafka_consumer_lag', help: 'Commands not yet committed, per owned partition (refreshed every few seconds)', labelNames: ['topic', 'partition'], registers: [registry] });
  const deadLettered = new Counter({ name: 'checkout_commands_dead_lettered_total', help: 'Commands that could not be read, moved to the dead-letter topic so their shard moves on', labelNames: ['reason'], registers: [registry] });
  for (let shard = 0; shard < shards; shard++) owned.set({ shard: String(shard) }, 0);
  return {
    onShardsChanged(now) {
      const set = new Set(now);
      for (let shard = 0; shard < shards; shard++) owned.set({ shard: String(shard) }, set.has(shard) ? 1 : 0);
    },
    onRebalance: () => rebalances.inc(),
    onDeadLettered: (reason) => deadLettered.inc({ reason }),
    setLag(topic, lagByPartition) {
      lag.reset();
      for (const [partition, value] of lagByPartition) lag.set({ topic, partition: String(partition) }, value);
    },
  };
}
