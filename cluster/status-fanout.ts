import type { Kafka } from 'kafkajs';
import type { Logger } from '../src/observability/logger.js';
import type { HopMetrics } from '../src/observability/hop-metrics.js';
import { decodeOrderView } from '../src/messaging/order-status-events.js';
import { createResilientConsumer } from '../src/messaging/resilient-consumer.js';
import type { StatusViewStore } from '../src/status/status-view-store.js';

const COMMIT_INTERVAL_MS = 1_000;

/**
 * Every node reads every order's status changes (its own consumer group), so a client watching
 * on node A sees an order that runs on node C. The group is the node's, the same at every start:
 * a restart resumes where the node left off, and the broker does not collect a new group per start.
 *
 * Offsets are committed at most once a second, not after every batch: a restarted or re-created
 * consumer then sees up to a second of statuses again (the view drops versions it holds), and a
 * commit per batch was a broker round trip in front of every next fetch. `commitEveryBatch`
 * restores that (A/B runs).
 */
export const statusGroupId = (topic: string, nodeId: string): string => `checkout-status-${topic}-${nodeId}`;

export function createStatusFanout(opts: {
  kafka: Kafka; topic: string; nodeId: string; store: StatusViewStore; logger: Logger; maxWaitTimeInMs?: number; hops?: HopMetrics; commitEveryBatch?: boolean;
}) {
  return createResilientConsumer(
    { kafka: opts.kafka, logger: opts.logger },
    { groupId: statusGroupId(opts.topic, opts.nodeId), topics: [opts.topic], fromBeginning: false, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: opts.maxWaitTimeInMs ?? 100 },
    {
      autoCommit: opts.commitEveryBatch ?? false,
      autoCommitInterval: COMMIT_INTERVAL_MS,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
        const now = Date.now();
        for (const message of batch.messages) {
          opts.hops?.observe('status', message.timestamp, now);
          const view = decodeOrderView(message.value);
          if (view) opts.store.update(view);
          resolveOffset(message.offset);
        }
        if (!opts.commitEveryBatch) await commitOffsetsIfNecessary();
        await heartbeat();
      },
    },
  );
}
