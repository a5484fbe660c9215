import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createMockTopic } from '../../cluster/local/kafka/mock-control.js';
import type { Kafka } from 'kafkajs';
import { createKafkaClient } from '../../src/messaging/kafka-client.js';
import { recordingLogger } from './recording-logger.js';
import { ensureTopics } from '../../src/messaging/topic-admin.js';

/** What test/setup/kafka.global.ts hands every test file. */
export interface KafkaTestInfra {
  brokers: string[];
  /** Set when the run uses the local mock broker; undefined on a real cluster (KAFKA_BROKERS). */
  controlAddress?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: KafkaTestInfra;
  }
}

export function kafkaTestInfra(): KafkaTestInfra {
  return inject('kafka');
}

/** A kafkajs client on the test broker; its logs are kept in `logger.records`, not printed. */
export function testKafkaClient(clientId: string): { kafka: Kafka; logger: ReturnType<typeof recordingLogger> } {
  const logger = recordingLogger();
  return { kafka: createKafkaClient({ clientId, brokers: kafkaTestInfra().brokers, logLevel: 'warn' }, logger), logger };
}

/** Unique across files, runs and a reused real cluster. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
}

export function uniqueGroupId(prefix = 'group'): string {
  return uniqueName(prefix);
}

/** Creates a fresh topic with `partitions` partitions and returns its (unique) name. */
export async function createTestTopic(prefix: string, partitions: number): Promise<string> {
  const name = uniqueName(prefix);
  const infra = kafkaTestInfra();
  if (infra.controlAddress) {
    await createMockTopic(infra.controlAddress, name, partitions);
  } else {
    const { kafka, logger } = testKafkaClient('test-topic-admin');
    await ensureTopics(kafka, [{ topic: name, numPartitions: partitions }], logger);
  }
  return name;
}
