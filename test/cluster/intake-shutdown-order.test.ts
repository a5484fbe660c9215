import type { Consumer, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { OrderRegistry } from '../../actors/order-registry.js';
import { createCommandIntake } from '../../cluster/command-intake.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestTopic, testKafkaClient, uniqueGroupId } from '../support/kafka.js';
import { pricedOrder } from '../support/orders.js';

describe('a node stopping its command intake', () => {
  it('lets running commands finish, stops its actors, and only then leaves the consumer group', { timeout: 60_000 }, async () => {
    const topic = await createTestTopic('shutdown-order', 2);
    const { kafka } = testKafkaClient('shutdown-order');
    const steps: string[] = [];
    // Every consumer the intake creates reports when it leaves the group.
    const watched = {
      consumer: (config: Parameters<Kafka['consumer']>[0]): Consumer => {
        const consumer = kafka.consumer(config);
        const disconnect = consumer.disconnect.bind(consumer);
        return Object.assign(consumer, { disconnect: async () => { steps.push('left the group'); await disconnect(); } });
      },
    } as unknown as Kafka;
    let handling = 0;
    const registry = {
      recoverShard: async () => 0,
      releaseShard: (shard: number) => steps.push(`stopped the actors of shard ${shard}`),
      // An actor persisting a command takes a moment.
      place: async () => { handling++; steps.push('handling a command'); await new Promise((r) => setTimeout(r, 400)); steps.push('handled a command'); handling--; },
      cancel: async () => undefined,
    } as unknown as OrderRegistry;
    const intake = createCommandIntake({
      kafka: watched, topic, groupId: uniqueGroupId('shutdown-order'), registry, sessionTimeout: 6_000, heartbeatInterval: 500,
      logger: silentLogger(), deadLetters: { send: async () => undefined },
    });
    const producer = kafka.producer();
    try {
      await intake.start();
      await expect.poll(() => intake.ownedShards().length, { timeout: 20_000 }).toBe(2);
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 2, value: JSON.stringify({ v: 1, type: 'place', order: pricedOrder() }) })) });
      await expect.poll(() => handling, { timeout: 10_000, interval: 5 }).toBeGreaterThan(0);
    } finally {
      await intake.stop();
      await producer.disconnect();
    }
    const leftAt = steps.indexOf('left the group');
    const lastHandled = steps.lastIndexOf('handled a command');
    const stopped = steps.map((s, i) => (s.startsWith('stopped the actors') ? i : -1)).filter((i) => i >= 0);
    expect(stopped).toHaveLength(2);
    expect(Math.min(...stopped)).toBeGreaterThan(lastHandled);
    expect(Math.max(...stopped)).toBeLessThan(leftAt);
    expect(steps.slice(leftAt)).toEqual(['left the group']);
  });
});
