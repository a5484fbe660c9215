import { Partitioners, type PartitionMetadata } from 'kafkajs';

const partitioner = Partitioners.DefaultPartitioner();
const metadataCache = new Map<number, PartitionMetadata[]>();

/**
 * The shard an order belongs to: the Kafka partition its key maps to under the Java-compatible
 * murmur2 partitioner, so the node that owns the partition owns the order, and any producer keyed
 * by order id (ours or another team's) routes to the same shard.
 */
export function shardOf(orderId: string, shards: number): number {
  let metadata = metadataCache.get(shards);
  if (!metadata) {
    metadata = Array.from({ length: shards }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
    metadataCache.set(shards, metadata);
  }
  return partitioner({ topic: 'shards', partitionMetadata: metadata, message: { key: orderId, value: null } });
}
