import type { Consumer, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createStatusFanout } from '../../cluster/status-fanout.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createStatusViewStore } from '../../src/status/status-view-store.js';
import { createTestTopic, testKafkaClient } from '../support/kafka.js';

describe('the status fan-out of a node', () => {
  it('joins the same consumer group at every start, so restarts leave no groups behind', { timeout: 60_000 }, async () => {
    const topic = await createTestTopic('status-group', 1);
    const { kafka } = testKafkaClient('status-group');
    const groups: string[] = [];
    const recording = {
      consumer: (config: Parameters<Kafka['consumer']>[0]): Consumer => { groups.push(config.groupId); return kafka.consumer(config); },
    } as unknown as Kafka;
    for (let start = 0; start < 2; start++) {
      const fanout = createStatusFanout({ kafka: recording, topic, nodeId: 'node-status-1', store: createStatusViewStore(), logger: silentLogger() });
      try {
        await fanout.start();
      } finally {
        await fanout.stop();
      }
    }
    expect(groups).toHaveLength(2);
    expect(groups[1]).toBe(groups[0]);
  });
});
