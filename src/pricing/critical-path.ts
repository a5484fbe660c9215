import type { RunTimings, TaskTiming } from './dag.js';

export interface CriticalPath {
  /** The longest chain of measured task durations: the least any run of these tasks could take. */
  ms: number;
  /** That chain, first task first. */
  tasks: string[];
}

/**
 * The critical path of a finished run, from its own measured durations. Comparing a run's
 * elapsed time with it shows what the scheduling cost, independent of how slow the calls were.
 */
export function criticalPath(timings: readonly TaskTiming[]): CriticalPath {
  const byTask = new Map(timings.map((t) => [t.task, t]));
  const memo = new Map<string, CriticalPath>();
  const finish = (task: string): CriticalPath => {
    const known = memo.get(task);
    if (known) return known;
    const t = byTask.get(task);
    if (!t) return { ms: 0, tasks: [] };
    let before: CriticalPath = { ms: 0, tasks: [] };
    for (const input of t.after) {
      const candidate = finish(input);
      if (candidate.ms > before.ms) before = candidate;
    }
    const path = { ms: before.ms + (t.endedAt - t.startedAt), tasks: [...before.tasks, task] };
    memo.set(task, path);
    return path;
  };
  let longest: CriticalPath = { ms: 0, tasks: [] };
  for (const t of timings) {
    const path = finish(t.task);
    if (path.ms > longest.ms) longest = path;
  }
  return longest;
}

/** What a one-at-a-time run of the same tasks would take: the sum of their durations. */
export function sequentialSum(timings: readonly TaskTiming[]): number {
  return timings.reduce((sum, t) => sum + (t.endedAt - t.startedAt), 0);
}

export const elapsed = (timings: RunTimings): number => timings.endedAt - timings.startedAt;
