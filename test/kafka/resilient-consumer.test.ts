import kafkajs, { Partitioners, type TopicPartitions } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it, vi } from 'vitest';
import { createResilientConsumer, type ConsumerCrash, type ResilientConsumer } from '../../src/messaging/resilient-consumer.js';
import { createTestTopic, testKafkaClient, uniqueGroupId } from '../support/kafka.js';

// kafkajs's error classes are spread into its CommonJS exports, which Node's ESM import cannot
// see by name; they are there on the default export.
const { KafkaJSNonRetriableError } = kafkajs;

// A re-created member rejoins a group its predecessor just left; the mock then waits
// (session timeout - 1 s) before it re-forms the group, so short sessions keep this fast.
const SHORT_SESSION = { sessionTimeout: 3_000, heartbeatInterval: 300 };

const started: ResilientConsumer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop()));
});

async function produce(topic: string, values: string[]): Promise<void> {
  const { kafka } = testKafkaClient('resilient-producer');
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ partition: 0, value })) });
  } finally {
    await producer.disconnect();
  }
}

/** Real sleeps, recorded, so the test can see which backoff was applied. */
function recordingSleep(): { delays: number[]; sleep: (ms: number, signal: AbortSignal) => Promise<void> } {
  const delays: number[] = [];
  return { delays, sleep: (ms, signal) => (delays.push(ms), sleep(ms, undefined, { signal })) };
}

it('re-creates a consumer that crashed with a non-retriable error, after a backoff, and consumes the rest', async () => {
  const topic = await createTestTopic('poison', 1);
  const values = Array.from({ length: 10 }, (_, i) => `m${i}`);
  await produce(topic, values);

  const { kafka, logger } = testKafkaClient('resilient');
  const backoffSleep = recordingSleep();
  const handled: string[] = [];
  const crashes: ConsumerCrash[] = [];
  const assignments: TopicPartitions[][] = [];
  let poisoned = false;
  const consumer = createResilientConsumer(
    { kafka, logger, sleep: backoffSleep.sleep, random: () => 0.5 },
    {
      groupId: uniqueGroupId('poison'),
      topics: [topic],
      fromBeginning: true,
      ...SHORT_SESSION,
      maxWaitTimeInMs: 100,
      restartBackoff: { initialMs: 400, maxMs: 5_000, multiplier: 2, jitter: 0.5 },
    },
    {
      eachMessage: async ({ message }) => {
        const value = message.value?.toString() ?? '';
        handled.push(value);
        if (value === 'm4' && !poisoned) {
          poisoned = true;
          // What kafkajs itself does not restart from: a CRASH with restart: false.
          throw new KafkaJSNonRetriableError('poison message');
        }
      },
    },
    { onCrash: (c) => crashes.push(c), onAssigned: (a) => assignments.push(a) },
  );
  started.push(consumer);
  await consumer.start();

  await vi.waitFor(() => expect(handled).toContain('m9'), { timeout: 30_000, interval: 50 });

  // m0-m3 were committed before the crash, so only the poison message is seen twice.
  expect(handled).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  expect(consumer.restarts).toBe(1);
  expect(crashes.map((c) => [c.restartedByKafkajs, c.error.message, c.restartInMs])).toEqual([[false, 'poison message', 300]]);
  expect(backoffSleep.delays).toEqual([300]); // 400 ms minus half of the 0.5 jitter
  expect(assignments).toEqual([[{ topic, partitions: [0] }], [], [{ topic, partitions: [0] }]]);
}, 60_000);

it('keeps backing off, ever longer, while every re-created consumer crashes again', async () => {
  const topic = await createTestTopic('always-poison', 1);
  await produce(topic, ['poison']);

  const { kafka, logger } = testKafkaClient('resilient-repeat');
  const backoffSleep = recordingSleep();
  const consumer = createResilientConsumer(
    { kafka, logger, sleep: backoffSleep.sleep, random: () => 0 },
    {
      groupId: uniqueGroupId('always-poison'),
      topics: [topic],
      fromBeginning: true,
      ...SHORT_SESSION,
      maxWaitTimeInMs: 100,
      restartBackoff: { initialMs: 100, maxMs: 400, multiplier: 2, jitter: 0.2 },
    },
    {
      eachMessage: async () => {
        throw new KafkaJSNonRetriableError('still poison');
      },
    },
  );
  started.push(consumer);
  await consumer.start();

  await vi.waitFor(() => expect(backoffSleep.delays.length).toBeGreaterThanOrEqual(5), { timeout: 40_000, interval: 50 });
  // Exponential, then capped at maxMs (random() = 0 means no jitter is taken off).
  expect(backoffSleep.delays.slice(0, 5)).toEqual([100, 200, 400, 400, 400]);
  expect(consumer.restarts).toBeGreaterThanOrEqual(4);
}, 60_000);

it('stop() cancels a pending restart instead of waiting out the backoff', async () => {
  const topic = await createTestTopic('stop-during-backoff', 1);
  await produce(topic, ['poison']);

  const { kafka, logger } = testKafkaClient('resilient-stop');
  const crashes: ConsumerCrash[] = [];
  const consumer = createResilientConsumer(
    { kafka, logger },
    {
      groupId: uniqueGroupId('stop-during-backoff'),
      topics: [topic],
      fromBeginning: true,
      ...SHORT_SESSION,
      maxWaitTimeInMs: 100,
      restartBackoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 },
    },
    {
      eachMessage: async () => {
        throw new KafkaJSNonRetriableError('poison');
      },
    },
    { onCrash: (c) => crashes.push(c) },
  );
  started.push(consumer);
  await consumer.start();
  await vi.waitFor(() => expect(crashes).toHaveLength(1), { timeout: 20_000, interval: 50 });

  const stopStarted = Date.now();
  await consumer.stop();
  expect(Date.now() - stopStarted).toBeLessThan(5_000);
  expect(consumer.restarts).toBe(0);
  expect(consumer.assignment()).toEqual([]);
}, 60_000);
