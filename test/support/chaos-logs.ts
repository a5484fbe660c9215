import type { ClusterNode } from '../../cluster/local/local-cluster.js';
import type { LogLine } from '../../cluster/local/service-process.js';

/*
 * The nodes' JSON log lines, kept with the node and the time they were seen, so a test can ask
 * what a node said after some moment ("shard ownership changed", "took shard: …").
 */

export interface SeenLine { node: string; at: number; line: LogLine }

export interface LineRecorder {
  readonly lines: readonly SeenLine[];
  /** Resolves with the first line (already seen or to come) that matches. */
  waitFor(predicate: (l: SeenLine) => boolean, timeoutMs: number, what: string): Promise<SeenLine>;
  stop(): void;
}

/** Records the lines of the nodes' current processes (a restarted node's new process is not followed). */
export function recordLines(nodes: readonly ClusterNode[]): LineRecorder {
  const lines: SeenLine[] = [];
  const waiters = new Set<() => void>();
  const offs = nodes.map((n) => n.process?.onLine((line) => {
    lines.push({ node: n.id, at: Date.now(), line });
    for (const w of waiters) w();
  }));
  return {
    lines,
    waitFor(predicate, timeoutMs, what) {
      const found = lines.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(predicate);
          if (!hit) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit);
        };
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no log line within ${timeoutMs} ms: ${what}`)); }, timeoutMs);
        waiters.add(check);
      });
    },
    stop() { for (const off of offs) off?.(); },
  };
}

/** A 'shard ownership changed' line's shard lists. */
export function ownershipChange(l: SeenLine): { owned: number[]; gained: number[]; lost: number[] } | undefined {
  if (l.line.msg !== 'shard ownership changed') return undefined;
  const list = (v: unknown) => (Array.isArray(v) ? v.map(Number) : []);
  return { owned: list(l.line.owned), gained: list(l.line.gained), lost: list(l.line.lost) };
}
