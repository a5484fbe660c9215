import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from './logger.js';

export interface LagPoller { stop(): Promise<void> }

/**
 * Computes a consumer group's lag on its owned partitions from two cheap admin calls (the log end
 * offsets and the group's committed offsets) every `everyMs`, rather than on every fetch.
 */
export function pollConsumerLag(opts: {
  kafka: Pick<Kafka, 'admin'>; groupId: string; topic: string; everyMs?: number;
  owned(): number[];
  report(lagByPartition: Map<number, number>): void;
  logger: Logger;
}): LagPoller {
  let admin: Admin | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let busy = false;

  const refresh = async () => {
    if (!admin) { admin = opts.kafka.admin(); await admin.connect(); }
    const owned = new Set(opts.owned());
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(opts.topic),
      admin.fetchOffsets({ groupId: opts.groupId, topics: [opts.topic] }),
    ]);
    const committedAt = new Map((committed.find((t) => t.topic === opts.topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    const lag = new Map<number, number>();
    for (const end of ends) {
      if (!owned.has(end.partition)) continue;
      const done = committedAt.get(end.partition) ?? -1;
      // No commit yet: everything from the log start is still to be read.
      const from = done >= 0 ? done : Number(end.low);
      lag.set(end.partition, Math.max(0, Number(end.high) - from));
    }
    if (!stopped) opts.report(lag);
  };

  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    running = refresh().finally(() => { busy = false; }).catch((err: unknown) => {
      opts.logger.debug({ err }, 'could not read consumer lag; will try again');
      const a = admin;
      admin = undefined;
      void a?.disconnect().catch(() => undefined);
    });
  }, opts.everyMs ?? 5_000);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await admin?.disconnect().catch(() => undefined);
    },
  };
}
