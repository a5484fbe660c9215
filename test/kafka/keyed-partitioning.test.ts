import { Partitioners } from 'kafkajs';
import { afterEach, expect, it, vi } from 'vitest';
import { createResilientConsumer, type ResilientConsumer } from '../../src/messaging/resilient-consumer.js';
import { createTestTopic, testKafkaClient, uniqueGroupId } from '../support/kafka.js';
import { javaMurmur2, javaPartitionForKey } from './fixtures/java-murmur2.js';

const started: ResilientConsumer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop()));
});

it('the reference hash reproduces the Java client murmur2 test vectors', () => {
  // From Kafka's UtilsTest.testMurmur2.
  const vectors: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [key, hash] of vectors) expect(javaMurmur2(Buffer.from(key)), key).toBe(hash);
});

it('a keyed message lands on, and is consumed from, the partition its key maps to as in the Java client', async () => {
  const PARTITIONS = 7;
  const keys = Array.from({ length: 60 }, (_, i) => `order-${i}`);
  const topic = await createTestTopic('keyed', PARTITIONS);
  const { kafka, logger } = testKafkaClient('keyed');

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: keys.map((key) => ({ key, value: key })) });
  } finally {
    await producer.disconnect();
  }

  const seenOn = new Map<string, number>();
  const consumer = createResilientConsumer(
    { kafka, logger },
    { groupId: uniqueGroupId('keyed'), topics: [topic], fromBeginning: true, sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 },
    {
      eachMessage: async ({ partition, message }) => {
        seenOn.set(message.key?.toString() ?? '', partition);
      },
    },
  );
  started.push(consumer);
  await consumer.start();
  await vi.waitFor(() => expect(seenOn.size).toBe(keys.length), { timeout: 20_000, interval: 50 });

  const expected = new Map(keys.map((key) => [key, javaPartitionForKey(key, PARTITIONS)]));
  expect(seenOn).toEqual(expected);
  // Keys spread over most partitions, so a partitioner that ignored keys could not pass.
  expect(new Set(expected.values()).size).toBeGreaterThanOrEqual(PARTITIONS - 1);
});
