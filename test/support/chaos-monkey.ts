import type { ClusterNode, LocalCluster } from '../../cluster/local-cluster.js';
import type { Random } from '../../src/downstream/random.js';

/*
 * Crashes: every few seconds one node that is up gets SIGKILL and, a moment later, a fresh
 * process in its place. One node at most is down at a time, so the cluster is never all down.
 */

export interface KillRecord {
  node: string;
  /** Date.now() right before SIGKILL. */
  killedAt: number;
  /** When its replacement was ready (absent if the restart failed). */
  readyAt?: number;
  restartError?: string;
}

export interface ChaosMonkeyOptions {
  /** Pause before each kill, drawn uniformly from [min, max] ms. */
  everyMs: [number, number];
  /** How long the killed node stays down before its restart begins. */
  downMs: [number, number];
  random?: Random;
  onKill?(record: KillRecord): void;
}

export interface ChaosMonkey {
  readonly kills: readonly KillRecord[];
  /** Stops killing, waits for the node being restarted, and restarts any node still down. */
  stop(): Promise<void>;
}

export function startChaosMonkey(cluster: Pick<LocalCluster, 'nodes' | 'kill' | 'restart'>, opts: ChaosMonkeyOptions): ChaosMonkey {
  const random = opts.random ?? Math.random;
  const kills: KillRecord[] = [];
  let running = true;
  let wake: () => void = () => {};
  const between = ([min, max]: [number, number]) => min + random() * (max - min);
  const pause = (ms: number) => new Promise<void>((resolve) => { const t = setTimeout(resolve, ms); wake = () => { clearTimeout(t); resolve(); }; });

  const restart = async (node: ClusterNode, record?: KillRecord) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await cluster.restart(node);
        if (record) record.readyAt = Date.now();
        return;
      } catch (err) {
        if (record) record.restartError = (err as Error).message.split('\n')[0];
        if (attempt >= 3) throw err;
      }
    }
  };

  const loop = (async () => {
    while (running) {
      await pause(between(opts.everyMs));
      if (!running) break;
      const up = cluster.nodes.filter((n) => n.process);
      if (up.length < cluster.nodes.length) continue;
      const victim = up[Math.floor(random() * up.length)]!;
      const record: KillRecord = { node: victim.id, killedAt: Date.now() };
      await cluster.kill(victim);
      kills.push(record);
      opts.onKill?.(record);
      await new Promise((r) => setTimeout(r, between(opts.downMs)));
      await restart(victim, record);
    }
  })();
  loop.catch(() => undefined); // reported by stop()

  return {
    kills,
    async stop() {
      running = false;
      wake();
      await loop;
      for (const node of cluster.nodes) if (!node.process) await restart(node);
    },
  };
}
