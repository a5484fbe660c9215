import type { ClusterNode, LocalCluster } from '../local-cluster.js';
import type { Random } from '../downstream/random.js';

/*
 * Crashes: every few seconds a random node that is up gets SIGKILL, and a fresh process takes
 * its place after a while of its own — sometimes before the group noticed the death (its shards
 * come back to it), sometimes after the others took its shards over (they hand them back on its
 * return). Kills never leave fewer than `minUp` nodes up, so the cluster is never all down.
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
  /** Pause between kills, drawn uniformly from [min, max] ms. */
  everyMs: [number, number];
  /** How long a killed node stays down before its restart begins. */
  downMs: [number, number];
  /** Default 1. */
  minUp?: number;
  random?: Random;
  onKill?(record: KillRecord): void;
}

export interface ChaosMonkey {
  readonly kills: readonly KillRecord[];
  /** Stops killing and returns once every node is up again. */
  stop(): Promise<void>;
}

export function startChaosMonkey(cluster: Pick<LocalCluster, 'nodes' | 'kill' | 'restart'>, opts: ChaosMonkeyOptions): ChaosMonkey {
  const random = opts.random ?? Math.random;
  const minUp = opts.minUp ?? 1;
  const kills: KillRecord[] = [];
  const restarts = new Set<Promise<void>>();
  const dead = new Set<ClusterNode>();
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
  const track = (p: Promise<void>) => {
    restarts.add(p);
    p.catch(() => undefined).finally(() => restarts.delete(p)); // a failure is reported by stop()
    return p;
  };
  const failures: unknown[] = [];

  const loop = (async () => {
    while (running) {
      await pause(between(opts.everyMs));
      if (!running) break;
      const up = cluster.nodes.filter((n) => n.process && !dead.has(n));
      if (up.length <= minUp) continue;
      const victim = up[Math.floor(random() * up.length)]!;
      const record: KillRecord = { node: victim.id, killedAt: Date.now() };
      dead.add(victim);
      await cluster.kill(victim);
      kills.push(record);
      opts.onKill?.(record);
      const downFor = between(opts.downMs);
      void track((async () => {
        await new Promise((r) => setTimeout(r, downFor));
        try {
          await restart(victim, record);
        } catch (err) {
          failures.push(err);
        } finally {
          dead.delete(victim);
        }
      })());
    }
  })();

  return {
    kills,
    async stop() {
      running = false;
      wake();
      await loop;
      while (restarts.size) await Promise.all([...restarts]);
      for (const node of cluster.nodes) if (!node.process) await restart(node);
      if (failures.length) throw new Error(`a killed node could not be restarted: ${(failures[0] as Error).message}`);
    },
  };
}
