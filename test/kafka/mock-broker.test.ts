import { afterEach, expect, it } from 'vitest';
import { createMockTopic, startMockBroker, type MockBroker } from '../../cluster/local/kafka/mock-broker.js';
import { createKafkaClient } from '../../src/messaging/kafka-client.js';
import { kafkaTestInfra } from '../support/kafka.js';
import { recordingLogger } from '../support/recording-logger.js';
import { describeRequiring } from '../support/prerequisite.js';

// These start brokers of their own; with KAFKA_BROKERS set the machine may lack the toolchain.
const notOnMock = kafkaTestInfra().controlAddress === undefined ? 'the run uses KAFKA_BROKERS, not the project\'s mock broker' : undefined;
describeRequiring(notOnMock, 'the mock broker launcher', () => {
  const brokers: MockBroker[] = [];
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.stop()));
  });

  async function partitionCounts(bootstrap: string[], topics: string[]): Promise<Record<string, number>> {
    const admin = createKafkaClient({ clientId: 'mock-broker-test', brokers: bootstrap, logLevel: 'warn' }, recordingLogger()).admin();
    await admin.connect();
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      return Object.fromEntries(metadata.map((t) => [t.name, t.partitions.length]));
    } finally {
      await admin.disconnect();
    }
  }

  it('starts the requested brokers and initial topics, and stop() ends its process', async () => {
    const broker = await startMockBroker({ brokers: 3, topics: [{ name: 'orders', partitions: 12 }, { name: 'audit', partitions: 1 }] });
    brokers.push(broker);
    expect(broker.brokers).toHaveLength(3);
    expect(await partitionCounts(broker.brokers, ['orders', 'audit'])).toEqual({ orders: 12, audit: 1 });

    await broker.stop();
    expect(() => process.kill(broker.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('creates topics at run time through its control port and refuses a duplicate or a bad request', async () => {
    const broker = await startMockBroker({});
    brokers.push(broker);
    await createMockTopic(broker.controlAddress, 'late', 5);
    expect(await partitionCounts(broker.brokers, ['late'])).toEqual({ late: 5 });
    await expect(broker.createTopic('late', 5)).rejects.toThrow(/TOPIC_ALREADY_EXISTS/);
    await expect(broker.createTopic('bad name', 1)).rejects.toThrow(/invalid topic name/);
    await expect(broker.createTopic('zero', 0)).rejects.toThrow(/invalid partition count/);
  });

  it('fails to start with the broker’s own error output when it cannot run', async () => {
    await expect(startMockBroker({ brokers: 0 })).rejects.toThrow(/exited during startup[\s\S]*usage: mock-broker/);
  });
});
