import type { Kafka } from 'kafkajs';
import type { Logger } from '../observability/logger.js';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** Cluster default (broker's default.replication.factor) when omitted. */
  replicationFactor?: number;
}

export interface EnsureTopicsResult {
  /** Topics that were missing; created by this call or, in a race, by another process. */
  created: string[];
  /** Topics that already existed; left exactly as they were. */
  existing: string[];
}

/**
 * Creates the topics that do not exist yet, for a real Kafka cluster (the local mock broker
 * does not implement CreateTopics; it is provisioned by its launcher instead).
 *
 * Existing topics are never altered: adding partitions would move keys to other partitions and
 * so reorder their messages. A partition count that differs from the spec is only logged, so an
 * operator can decide.
 */
export async function ensureTopics(kafka: Pick<Kafka, 'admin'>, topics: TopicSpec[], logger: Logger): Promise<EnsureTopicsResult> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !present.has(t.topic));
    const existing = topics.filter((t) => present.has(t.topic));

    if (missing.length > 0) {
      // false means another process created them between listTopics and here: same outcome.
      const createdNow = await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.numPartitions,
          ...(t.replicationFactor === undefined ? {} : { replicationFactor: t.replicationFactor }),
        })),
      });
      logger.info({ topics: missing.map((t) => t.topic), createdNow }, 'created missing Kafka topics');
    }

    if (existing.length > 0) {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: existing.map((t) => t.topic) });
      for (const spec of existing) {
        const actual = metadata.find((m) => m.name === spec.topic)?.partitions.length;
        if (actual !== spec.numPartitions) {
          logger.warn(
            { topic: spec.topic, expectedPartitions: spec.numPartitions, actualPartitions: actual },
            'existing Kafka topic has a different partition count than configured; left unchanged',
          );
        }
      }
    }

    return { created: missing.map((t) => t.topic), existing: existing.map((t) => t.topic) };
  } finally {
    await admin.disconnect();
  }
}
