import type { TestProject } from 'vitest/node';
import { startMockBroker } from '../../cluster/local/kafka/mock-broker.js';
import { parseBrokerList } from '../../src/messaging/kafka-client.js';
import type { KafkaTestInfra } from '../support/kafka.js';

/**
 * One Kafka-protocol broker for the whole test run. KAFKA_BROKERS points the tests at an existing
 * cluster and nothing is started; otherwise the local mock broker is built (once, cached) and
 * started with no topics: every test creates its own through test/support/kafka.ts.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = parseBrokerList(process.env.KAFKA_BROKERS ?? '');
  if (external.length > 0) {
    const infra: KafkaTestInfra = { brokers: external };
    project.provide('kafka', infra);
    return async () => {};
  }

  const broker = await startMockBroker({ topics: [] });
  const infra: KafkaTestInfra = { brokers: broker.brokers, controlAddress: broker.controlAddress };
  project.provide('kafka', infra);
  process.stderr.write(`Kafka mock broker ${broker.bootstrap} (control ${broker.controlAddress}, pid ${broker.pid})\n`);
  // Vitest runs this teardown whether tests passed or failed.
  return () => broker.stop();
}
