import type { Client } from 'cassandra-driver';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../src/observability/logger.js';

/*
 * A node that still heartbeats Kafka but cannot write to Cassandra would keep its shards while
 * none of their orders can move: the group sees a healthy member. The watchdog writes a probe
 * row every interval; after `failures` probes in a row fail (or time out), it has the node give
 * its shards up (leave the order group), and after `recoveries` good probes in a row it rejoins.
 */

export interface StorageWatchdogOptions {
  cassandra: Client;
  keyspace: string;
  nodeId: string;
  intervalMs: number;
  timeoutMs: number;
  failures: number;
  recoveries: number;
  metrics: Registry;
  logger: Logger;
  /** Called once when storage is judged unreachable; the node gives its shards up. */
  onUnhealthy(): Promise<void>;
  /** Called once when it is reachable again; the node takes shards again. */
  onHealthy(): Promise<void>;
}

export interface StorageWatchdog {
  healthy(): boolean;
  stop(): Promise<void>;
}

export function startStorageWatchdog(opts: StorageWatchdogOptions): StorageWatchdog {
  const log = opts.logger;
  const healthyGauge = new Gauge({ name: 'checkout_storage_healthy', help: '1 while this node can write to Cassandra (storage watchdog), 0 while it has left the order group for lack of it', registers: [opts.metrics] });
  const transitions = new Counter({ name: 'checkout_storage_watchdog_transitions_total', help: 'Times the storage watchdog made this node leave (to=unhealthy) or rejoin (to=healthy) the order group', labelNames: ['to'], registers: [opts.metrics] });
  const probeFailures = new Counter({ name: 'checkout_storage_probe_failures_total', help: 'Storage watchdog probe writes that failed or timed out', registers: [opts.metrics] });
  healthyGauge.set(1);
  let healthy = true;
  let streak = 0;
  let stopped = false;
  let transition: Promise<void> = Promise.resolve();
  const insert = `INSERT INTO ${opts.keyspace}.storage_probe (node_id, at) VALUES (?, ?) USING TTL 60`;

  const probe = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs); });
    try {
      await Promise.race([opts.cassandra.execute(insert, [opts.nodeId, BigInt(Date.now())], { prepare: true }), timeout]);
      return true;
    } catch (err) {
      probeFailures.inc();
      log.debug({ err }, 'storage probe failed');
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  const tick = async () => {
    const ok = await probe();
    if (stopped) return;
    // A streak counts probes that disagree with the current judgement.
    streak = ok === healthy ? 0 : streak + 1;
    if (healthy && streak >= opts.failures) {
      healthy = false;
      streak = 0;
      healthyGauge.set(0);
      transitions.inc({ to: 'unhealthy' });
      log.warn({ failedProbes: opts.failures }, 'storage unreachable: giving up this node\'s shards (leaving the order group)');
      transition = transition.then(opts.onUnhealthy).catch((err: unknown) => log.error({ err }, 'could not leave the order group'));
    } else if (!healthy && streak >= opts.recoveries) {
      healthy = true;
      streak = 0;
      healthyGauge.set(1);
      transitions.inc({ to: 'healthy' });
      log.info({ goodProbes: opts.recoveries }, 'storage reachable again: rejoining the order group');
      transition = transition.then(opts.onHealthy).catch((err: unknown) => log.error({ err }, 'could not rejoin the order group'));
    }
  };

  let running: Promise<void> | undefined;
  // Probes do not overlap: a hung one is cut off by its timeout, and ticks meanwhile are skipped.
  const timer = setInterval(() => { running ??= tick().finally(() => { running = undefined; }); }, opts.intervalMs);
  return {
    healthy: () => healthy,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await transition;
    },
  };
}
