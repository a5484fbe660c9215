import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Logger } from '../src/observability/logger.js';
import { decodeOrderView } from '../src/messaging/order-status-events.js';
import { createResilientConsumer } from '../src/messaging/resilient-consumer.js';
import type { StatusViewStore } from '../src/status/status-view-store.js';

/**
 * Every node reads every order's status changes (its own consumer group), so a client watching
 * on node A sees an order that runs on node C.
 */
export function createStatusFanout(opts: { kafka: Kafka; topic: string; nodeId: string; store: StatusViewStore; logger: Logger; maxWaitTimeInMs?: number }) {
  return createResilientConsumer(
    { kafka: opts.kafka, logger: opts.logger },
    { groupId: `checkout-status-${opts.nodeId}-${randomUUID().slice(0, 8)}`, topics: [opts.topic], fromBeginning: false, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: opts.maxWaitTimeInMs ?? 100 },
    {
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const message of batch.messages) {
          const view = decodeOrderView(message.value);
          if (view) opts.store.update(view);
          resolveOffset(message.offset);
        }
        await heartbeat();
      },
    },
  );
}
