import type { Admin, ITopicConfig, Kafka } from 'kafkajs';
import { expect, it } from 'vitest';
import { ensureTopics } from '../../src/messaging/topic-admin.js';
import { createTestTopic, testKafkaClient, uniqueName } from '../support/kafka.js';
import { recordingLogger } from '../support/recording-logger.js';

it('ensureTopics leaves an existing topic untouched and only warns that its partition count differs', async () => {
  const topic = await createTestTopic('existing', 3);
  const { kafka } = testKafkaClient('topic-admin');
  const logger = recordingLogger();

  const result = await ensureTopics(kafka, [{ topic, numPartitions: 5 }], logger);

  expect(result).toEqual({ created: [], existing: [topic] });
  expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.fields)).toEqual([
    { topic, expectedPartitions: 5, actualPartitions: 3 },
  ]);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics[0]?.partitions).toHaveLength(3);
  } finally {
    await admin.disconnect();
  }
});

/**
 * The mock broker does not implement CreateTopics, so the creating path runs against an admin
 * that records calls and answers like kafkajs does (createTopics resolves false when the topics
 * already existed, e.g. created by another process since listTopics).
 */
function recordingAdmin(present: string[], createAnswer: boolean): { kafka: Pick<Kafka, 'admin'>; created: ITopicConfig[][]; disconnected: () => boolean } {
  const created: ITopicConfig[][] = [];
  let disconnected = false;
  const admin: Partial<Admin> = {
    connect: async () => {},
    disconnect: async () => {
      disconnected = true;
    },
    listTopics: async () => present,
    createTopics: async ({ topics }) => {
      created.push(topics);
      return createAnswer;
    },
    fetchTopicMetadata: async ({ topics } = { topics: [] }) => ({
      topics: (topics ?? []).map((name) => ({ name, partitions: [] })),
    }),
  };
  return { kafka: { admin: () => admin as Admin }, created, disconnected: () => disconnected };
}

it('ensureTopics creates only the missing topics, each with its partition count, and disconnects', async () => {
  const [a, b, c] = [uniqueName('a'), uniqueName('b'), uniqueName('c')];
  const { kafka, created, disconnected } = recordingAdmin([b], true);

  const result = await ensureTopics(kafka, [
    { topic: a, numPartitions: 12 },
    { topic: b, numPartitions: 12 },
    { topic: c, numPartitions: 3, replicationFactor: 3 },
  ], recordingLogger());

  expect(created).toEqual([[{ topic: a, numPartitions: 12 }, { topic: c, numPartitions: 3, replicationFactor: 3 }]]);
  expect(result).toEqual({ created: [a, c], existing: [b] });
  expect(disconnected()).toBe(true);
});

it('ensureTopics accepts losing a creation race to another process', async () => {
  const topic = uniqueName('raced');
  const { kafka } = recordingAdmin([], false);
  await expect(ensureTopics(kafka, [{ topic, numPartitions: 4 }], recordingLogger())).resolves.toEqual({ created: [topic], existing: [] });
});
