import type { ProducerBatch, ProducerRecord } from 'kafkajs';
import { createCoalescingSender } from '../../src/messaging/coalescing-sender.js';
import { silentLogger } from '../../src/observability/logger.js';
import { describe, expect, it } from 'vitest';
import { plannedTopics } from '../../src/messaging/topic-plan.js';
import { shardOf } from '../../src/domain/shard-of.js';
import { createCommandRouter, poolTopics } from '../../cluster/routing/command-router.js';
import { orderIdInPool } from '../../cluster/routing/order-pool.js';
import { poolShardIndex } from '../../cluster/routing/pool-index.js';
import type { ActiveOrderIndex } from '../../src/storage/active-orders.js';
import { pricedOrder } from '../support/orders.js';

function recordingProducer() {
  const sent: ProducerRecord[] = [];
  const producer = { sendBatch: async (batch: ProducerBatch) => { for (const t of batch.topicMessages ?? []) sent.push(t); return []; } };
  return { producer: createCoalescingSender({ producer, logger: silentLogger(), what: 'commands' }), sent };
}

const names = { KAFKA_COMMANDS_TOPIC: 'cmds', KAFKA_SANDBOX_COMMANDS_TOPIC: 'cmds-sandbox', KAFKA_EVENTS_TOPIC: 'events', KAFKA_COMMANDS_DLQ_TOPIC: 'cmds-dlq', KAFKA_COMMAND_PARTITIONS: 12 };
const topics = poolTopics(plannedTopics(names), { main: 'cmds', sandbox: 'cmds-sandbox' });

describe('commands reach the pool of their order, on its shard there', () => {
  it('takes each pool\'s partition count from the topic plan (the sandbox topic is smaller)', () => {
    expect(topics).toEqual({ main: { topic: 'cmds', partitions: 12 }, sandbox: { topic: 'cmds-sandbox', partitions: 3 } });
    expect(() => poolTopics(plannedTopics(names), { main: 'cmds', sandbox: 'cmds' })).toThrow(/different commands topics/);
    expect(() => poolTopics(plannedTopics(names), { main: 'cmds', sandbox: 'nope' })).toThrow(/sandbox commands topic nope/);
  });

  it('a sandbox order\'s place and cancel go to the sandbox topic, on the same partition, within its partition count', async () => {
    const { producer, sent } = recordingProducer();
    const router = createCommandRouter(producer, topics);
    const partitions = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const orderId = orderIdInPool(`o-${i}`, 'sandbox');
      const order = pricedOrder({ orderId });
      await router.publish({ v: 1, type: 'place', order });
      await router.publish({ v: 1, type: 'cancel', orderId, reason: 'changed my mind' });
      const [place, cancel] = sent.splice(0, 2);
      expect(place?.topic).toBe('cmds-sandbox');
      expect(cancel?.topic).toBe('cmds-sandbox');
      const partition = place?.messages[0]?.partition;
      expect(cancel?.messages[0]?.partition).toBe(partition);
      // The shard the sandbox nodes compute (their runtime's shards = the sandbox partition count).
      expect(partition).toBe(shardOf(orderId, 3));
      partitions.add(partition!);
    }
    expect([...partitions].sort()).toEqual([0, 1, 2]);
  });

  it('a main order\'s commands go to the main topic on shardOf(id, main partitions)', async () => {
    const { producer, sent } = recordingProducer();
    const router = createCommandRouter(producer, topics);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const orderId = `o-${i}`;
      await router.publish({ v: 1, type: 'cancel', orderId, reason: '' });
      const record = sent.pop()!;
      expect(record.topic).toBe('cmds');
      expect(record.messages[0]?.partition).toBe(shardOf(orderId, 12));
      seen.add(record.messages[0]!.partition!);
    }
    expect(Math.max(...seen)).toBeGreaterThan(2); // main uses all 12, not the sandbox's 3
  });
});

describe('the pools keep their unfinished-order lists apart', () => {
  function memoryIndex(): ActiveOrderIndex & { rows: Map<number, Set<string>> } {
    const rows = new Map<number, Set<string>>();
    return {
      rows,
      add: async (shard, orderId) => { rows.set(shard, (rows.get(shard) ?? new Set()).add(orderId)); },
      remove: async (shard, orderId) => { rows.get(shard)?.delete(orderId); },
      list: async (shard) => [...(rows.get(shard) ?? [])],
    };
  }

  it('a main node taking shard 0 never sees the sandbox\'s shard-0 orders, nor the other way round', async () => {
    const table = memoryIndex();
    const main = poolShardIndex(table, 'main');
    const sandbox = poolShardIndex(table, 'sandbox');
    await main.add(0, 'o-main', 1);
    await sandbox.add(0, 'sbx-o-sandbox', 1);
    await sandbox.add(2, 'sbx-o-other', 1);
    expect(await main.list(0)).toEqual(['o-main']);
    expect(await sandbox.list(0)).toEqual(['sbx-o-sandbox']);
    expect(await main.list(2)).toEqual([]);
    await sandbox.remove(0, 'sbx-o-sandbox');
    expect(await sandbox.list(0)).toEqual([]);
    expect(await main.list(0)).toEqual(['o-main']);
    // Main keeps the plain shard numbers it always used (orders listed before this change are found).
    expect([...table.rows.keys()].sort((a, b) => a - b)).toEqual([-3, -1, 0]);
  });
});
