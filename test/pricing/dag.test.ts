import { describe, expect, it } from 'vitest';
import { criticalPath, elapsed, sequentialSum } from '../../src/pricing/critical-path.js';
import { dagBuilder } from '../../src/pricing/dag-builder.js';
import { createDag, DagDefinitionError, DagTimeoutError, type TaskSpec, type TaskTiming } from '../../src/pricing/dag.js';

/** Resolves after ms, or rejects with the signal's reason when it aborts first. */
const sleep = <T>(ms: number, value: T, signal?: AbortSignal): Promise<T> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(value), ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });

const timingOf = (tasks: readonly TaskTiming[], name: string): TaskTiming => {
  const t = tasks.find((x) => x.task === name);
  if (!t) throw new Error(`no timing for ${name}`);
  return t;
};

const task = (name: string, inputs: string[], run: TaskSpec['run'] = () => name): TaskSpec => ({ name, inputs, run });

async function rejectionOf(work: Promise<unknown>): Promise<unknown> {
  return work.then(() => { throw new Error('expected a rejection'); }, (err: unknown) => err);
}

describe('the dag executor', () => {
  it('passes each task the values it names and returns every output', async () => {
    const dag = dagBuilder<{ base: number }>(['base'])
      .task('double', ['base'], ({ base }) => base * 2)
      .task('label', ['base', 'double'], async ({ base, double }) => `${base}→${double}`)
      .build();
    const { outputs } = await dag.run({ base: 21 });
    expect(outputs).toEqual({ double: 42, label: '21→42' });
  });

  it('runs independent tasks at the same time', async () => {
    const dag = dagBuilder<Record<never, never>>([])
      .task('a', [], (_, s) => sleep(60, 'a', s))
      .task('b', [], (_, s) => sleep(60, 'b', s))
      .task('c', [], (_, s) => sleep(60, 'c', s))
      .build();
    const { timings } = await dag.run({});
    const lastStart = Math.max(...timings.tasks.map((t) => t.startedAt));
    const firstEnd = Math.min(...timings.tasks.map((t) => t.endedAt));
    expect(lastStart).toBeLessThan(firstEnd);
  });

  it('starts a task as soon as its inputs resolve, without waiting for unrelated tasks', async () => {
    const dag = dagBuilder<Record<never, never>>([])
      .task('fast', [], (_, s) => sleep(20, 1, s))
      .task('slow', [], (_, s) => sleep(200, 2, s))
      .task('next', ['fast'], ({ fast }) => fast + 1)
      .build();
    const { timings } = await dag.run({});
    const next = timingOf(timings.tasks, 'next');
    expect(next.startedAt).toBeGreaterThanOrEqual(timingOf(timings.tasks, 'fast').endedAt);
    expect(next.startedAt).toBeLessThan(timingOf(timings.tasks, 'slow').endedAt);
  });

  it('starts a task only after all of its inputs resolve', async () => {
    const dag = dagBuilder<Record<never, never>>([])
      .task('a', [], (_, s) => sleep(10, 'a', s))
      .task('b', [], (_, s) => sleep(60, 'b', s))
      .task('both', ['a', 'b'], ({ a, b }) => a + b)
      .build();
    const { outputs, timings } = await dag.run({});
    expect(outputs.both).toBe('ab');
    expect(timingOf(timings.tasks, 'both').startedAt).toBeGreaterThanOrEqual(timingOf(timings.tasks, 'b').endedAt);
  });

  it('rejects with the first failure and aborts the tasks still running', async () => {
    const boom = new Error('boom');
    let slowSignal: AbortSignal | undefined;
    let dependentRan = false;
    const dag = dagBuilder<Record<never, never>>([])
      .task('failing', [], async (_, s) => { await sleep(10, 0, s); throw boom; })
      .task('slow', [], (_, s) => { slowSignal = s; return sleep(5_000, 0, s); })
      .task('dependent', ['failing'], () => { dependentRan = true; })
      .build();
    const started = performance.now();
    expect(await rejectionOf(dag.run({}))).toBe(boom);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(slowSignal?.aborted).toBe(true);
    expect(slowSignal?.reason).toBe(boom);
    expect(dependentRan).toBe(false);
  });

  it('does not wait for a task that ignores its abort signal once the run has failed', async () => {
    const dag = dagBuilder<Record<never, never>>([])
      .task('failing', [], () => Promise.reject(new Error('boom')))
      .task('stubborn', [], () => sleep(3_000, 0))
      .build();
    const started = performance.now();
    await rejectionOf(dag.run({}));
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('fails a task that outlives its deadline with a timeout naming it, and aborts its signal', async () => {
    let signal: AbortSignal | undefined;
    const dag = dagBuilder<Record<never, never>>([])
      .task('slow', [], (_, s) => { signal = s; return sleep(3_000, 0); }, { deadlineMs: 30 })
      .build();
    const err = await rejectionOf(dag.run({}, { taskDeadlineMs: 10_000 }));
    expect(err).toBeInstanceOf(DagTimeoutError);
    expect((err as DagTimeoutError).task).toBe('slow');
    expect(signal?.aborted).toBe(true);
  });

  it('fails the whole run when it outlives the overall deadline', async () => {
    const dag = dagBuilder<Record<never, never>>([])
      .task('a', [], (_, s) => sleep(40, 0, s))
      .task('b', ['a'], (_, s) => sleep(40, 0, s))
      .task('c', ['b'], (_, s) => sleep(40, 0, s))
      .build();
    const err = await rejectionOf(dag.run({}, { deadlineMs: 60, taskDeadlineMs: 1_000 }));
    expect(err).toBeInstanceOf(DagTimeoutError);
    expect((err as DagTimeoutError).task).toBeUndefined();
  });

  it('stops when the caller aborts', async () => {
    const caller = new AbortController();
    const dag = dagBuilder<Record<never, never>>([]).task('slow', [], (_, s) => sleep(3_000, 0, s)).build();
    const run = dag.run({}, { signal: caller.signal });
    const reason = new Error('client went away');
    setTimeout(() => caller.abort(reason), 20);
    expect(await rejectionOf(run)).toBe(reason);
  });

  it('in sequential mode runs one task at a time, in a topological order', async () => {
    const dag = createDag([], [
      task('late', ['early'], (_, s) => sleep(20, 'late', s)),
      task('early', [], (_, s) => sleep(20, 'early', s)),
      task('other', [], (_, s) => sleep(20, 'other', s)),
    ]);
    const { timings } = await dag.run({}, { mode: 'sequential' });
    expect(dag.order).toEqual(['early', 'late', 'other']);
    expect(timings.tasks.map((t) => t.task)).toEqual(dag.order);
    for (let i = 1; i < timings.tasks.length; i++) {
      expect(timings.tasks[i]!.startedAt).toBeGreaterThanOrEqual(timings.tasks[i - 1]!.endedAt);
    }
  });

  it('runs `around` over every task, inside its timing, and keeps the task\'s value', async () => {
    const seen: string[] = [];
    const dag = createDag([], [task('a', [], () => 1), task('b', ['a'], () => 2)]);
    const { outputs } = await dag.run({}, {
      around: async (name, run) => { seen.push(`before ${name}`); const v = await run(); seen.push(`after ${name}`); return v; },
    });
    expect(outputs).toEqual({ a: 1, b: 2 });
    expect(seen).toEqual(['before a', 'after a', 'before b', 'after b']);
  });

  it('refuses a run that lacks a given value', async () => {
    const dag = createDag(['seed'], [task('a', ['seed'])]);
    expect(await rejectionOf(dag.run({}))).toBeInstanceOf(DagDefinitionError);
  });
});

describe('building a dag', () => {
  it('rejects a cycle and names the tasks on it', () => {
    expect(() => createDag([], [task('a', ['c']), task('b', ['a']), task('c', ['b']), task('d', [])]))
      .toThrow(new DagDefinitionError('cycle: a → c → b → a'));
  });

  it('rejects a task that needs itself', () => {
    expect(() => createDag([], [task('a', ['a'])])).toThrow(/cycle: a → a/);
  });

  it('rejects an input that is neither a task nor a given value', () => {
    expect(() => createDag(['seed'], [task('a', ['sed'])])).toThrow(/task a needs "sed"/);
  });

  it('rejects two tasks with one name', () => {
    expect(() => createDag([], [task('a', []), task('a', [])])).toThrow(DagDefinitionError);
  });
});

describe('the critical path of a run', () => {
  const t = (task: string, after: string[], startedAt: number, endedAt: number): TaskTiming => ({ task, after, startedAt, endedAt });

  it('is the longest chain of measured durations through the graph', () => {
    const timings = [t('merchant', [], 0, 60), t('menu', [], 0, 80), t('quote', ['merchant'], 61, 131), t('order', ['quote', 'menu'], 132, 133)];
    expect(criticalPath(timings)).toEqual({ ms: 131, tasks: ['merchant', 'quote', 'order'] });
  });

  it('and the sequential sum is every duration added up', () => {
    expect(sequentialSum([t('a', [], 0, 60), t('b', [], 0, 80)])).toBe(140);
    expect(elapsed({ startedAt: 5, endedAt: 95, tasks: [] })).toBe(90);
  });
});
