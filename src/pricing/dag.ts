/*
 * A small dependency-graph executor. Tasks name their inputs (given values or other tasks); a
 * run starts every task the moment its last input resolves, so independent work is in flight at
 * once and the run takes about its critical path. The graph is checked once, when it is built:
 * a duplicate name, an unknown input or a cycle is a programming error and fails at startup,
 * not on some request.
 */

export type Values = Record<string, unknown>;
export type DagMode = 'concurrent' | 'sequential';

export interface TaskSpec<In extends Values = Values, Out = unknown> {
  readonly name: string;
  /** Names of given values or of other tasks; their values arrive in `run`'s first argument. */
  readonly inputs: readonly (keyof In & string)[];
  /** Overrides the run's per-task deadline. */
  readonly deadlineMs?: number;
  /** Should stop its work when `signal` aborts (a sibling failed, or a deadline passed). */
  run(inputs: In, signal: AbortSignal): Out | Promise<Out>;
}

/** Clock readings (the dag's `now`), so a benchmark can rebuild the critical path. */
export interface TaskTiming {
  task: string;
  /** The tasks (not given values) this one waited for. */
  after: readonly string[];
  startedAt: number;
  endedAt: number;
}

export interface RunTimings {
  startedAt: number;
  endedAt: number;
  /** Completed tasks, by start time. */
  tasks: TaskTiming[];
}

export interface RunOptions {
  /** `sequential` runs one task at a time in `order`: the legacy behaviour, kept for comparison. */
  mode?: DagMode;
  /** Per task, unless the task sets its own. Unset: no limit. */
  taskDeadlineMs?: number;
  /** For the whole run. Unset: no limit. */
  deadlineMs?: number;
  /** The caller giving up (a cancelled request) aborts the run. */
  signal?: AbortSignal;
  /**
   * Wraps each task's run (for example to persist after every step). It runs outside the task's
   * own deadline but inside the task's timing and under the run's deadline and signal.
   */
  around?: (task: string, run: () => Promise<unknown>) => Promise<unknown>;
}

export interface DagRun<Out extends Values> {
  outputs: Out;
  timings: RunTimings;
}

export interface Dag<Given extends Values, Out extends Values> {
  /** Task names in the order sequential mode runs them (a topological order, declaration order first). */
  readonly order: readonly string[];
  /** Rejects with the first task's error (or a DagTimeoutError) and aborts every task still running. */
  run(given: Given, options?: RunOptions): Promise<DagRun<Out>>;
}

/** The graph itself is wrong: found when it is built. */
export class DagDefinitionError extends Error {
  override readonly name = 'DagDefinitionError';
}

export class DagTimeoutError extends Error {
  override readonly name = 'DagTimeoutError';
  constructor(readonly task: string | undefined, readonly ms: number) {
    super(task ? `task ${task} took longer than ${ms} ms` : `the run took longer than ${ms} ms`);
  }
}

/**
 * Builds a checked graph. `givens` are the names of values supplied to each run; tasks may name
 * them as inputs. Untyped: prefer `dagBuilder`, which types each task's inputs.
 */
export function createDag<Given extends Values = Values, Out extends Values = Values>(
  givens: readonly string[],
  tasks: readonly TaskSpec[],
  opts: { now?: () => number } = {},
): Dag<Given, Out> {
  const now = opts.now ?? (() => performance.now());
  const byName = checkGraph(givens, tasks);
  const order = topologicalOrder(tasks, byName);
  const taskInputs = new Map(tasks.map((t) => [t.name, t.inputs.filter((i) => byName.has(i))]));
  const dependents = new Map<string, string[]>(tasks.map((t) => [t.name, []]));
  for (const t of tasks) for (const i of taskInputs.get(t.name) ?? []) dependents.get(i)?.push(t.name);

  return {
    order,
    async run(given, options = {}) {
      for (const g of givens) if (!(g in given)) throw new DagDefinitionError(`given value "${g}" is missing`);
      const values = new Map<string, unknown>(givens.map((g) => [g, given[g]]));
      const timings: TaskTiming[] = [];
      const controller = new AbortController();
      const stop = (reason: unknown): void => { if (!controller.signal.aborted) controller.abort(reason); };
      const onCallerAbort = (): void => stop(options.signal?.reason);
      options.signal?.addEventListener('abort', onCallerAbort, { once: true });
      if (options.signal?.aborted) onCallerAbort();
      const runTimer = finite(options.deadlineMs)
        ? setTimeout(() => stop(new DagTimeoutError(undefined, options.deadlineMs as number)), options.deadlineMs)
        : undefined;

      const execute = async (name: string): Promise<void> => {
        const spec = byName.get(name) as TaskSpec;
        const inputs: Values = {};
        for (const i of spec.inputs) inputs[i] = values.get(i);
        const startedAt = now();
        const deadline = spec.deadlineMs ?? options.taskDeadlineMs;
        const guarded = (): Promise<unknown> => runWithDeadline(spec, inputs, controller.signal, deadline);
        const { around } = options;
        const value = await abortable(around ? () => around(name, guarded) : guarded, controller.signal);
        timings.push({ task: name, after: taskInputs.get(name) ?? [], startedAt, endedAt: now() });
        values.set(name, value);
      };

      const startedAt = now();
      try {
        if (options.mode === 'sequential') {
          for (const name of order) await execute(name);
        } else {
          await runConcurrently(tasks, taskInputs, dependents, execute, controller.signal);
        }
      } catch (err) {
        stop(err);
        throw err;
      } finally {
        clearTimeout(runTimer);
        options.signal?.removeEventListener('abort', onCallerAbort);
      }
      const outputs: Values = {};
      for (const t of tasks) outputs[t.name] = values.get(t.name);
      timings.sort((a, b) => a.startedAt - b.startedAt);
      return { outputs: outputs as Out, timings: { startedAt, endedAt: now(), tasks: timings } };
    },
  };
}

/** Starts each task when its last input resolves; settles when all are done or on the first failure. */
function runConcurrently(
  tasks: readonly TaskSpec[],
  taskInputs: ReadonlyMap<string, readonly string[]>,
  dependents: ReadonlyMap<string, readonly string[]>,
  execute: (name: string) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const waitingFor = new Map(tasks.map((t) => [t.name, taskInputs.get(t.name)?.length ?? 0]));
    let remaining = tasks.length;
    if (remaining === 0) return resolve();
    if (signal.aborted) return reject(signal.reason);
    const start = (name: string): void => {
      execute(name).then(() => {
        remaining -= 1;
        if (remaining === 0) return resolve();
        for (const d of dependents.get(name) ?? []) {
          const left = (waitingFor.get(d) ?? 0) - 1;
          waitingFor.set(d, left);
          if (left === 0 && !signal.aborted) start(d);
        }
      }, reject);
    };
    for (const t of tasks) if (waitingFor.get(t.name) === 0) start(t.name);
  });
}

/** The task's run under its own deadline: on expiry its signal aborts and it rejects at once. */
function runWithDeadline(spec: TaskSpec, inputs: Values, parent: AbortSignal, deadlineMs: number | undefined): Promise<unknown> {
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent.reason);
  parent.addEventListener('abort', onParentAbort, { once: true });
  if (parent.aborted) onParentAbort();
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    if (!finite(deadlineMs)) return;
    timer = setTimeout(() => {
      const err = new DagTimeoutError(spec.name, deadlineMs);
      controller.abort(err);
      reject(err);
    }, deadlineMs);
  });
  const work = new Promise<unknown>((resolve) => resolve(spec.run(inputs, controller.signal)));
  return Promise.race([work, expiry]).finally(() => {
    clearTimeout(timer);
    parent.removeEventListener('abort', onParentAbort);
  });
}

/** Rejects as soon as `signal` aborts, even if `work` ignores it, so a failed run never waits. */
function abortable(work: () => Promise<unknown>, signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    new Promise<unknown>((r) => r(work())).then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const finite = (ms: number | undefined): ms is number => ms !== undefined && Number.isFinite(ms);

function checkGraph(givens: readonly string[], tasks: readonly TaskSpec[]): Map<string, TaskSpec> {
  const names = new Set<string>(givens);
  if (names.size !== givens.length) throw new DagDefinitionError('a given value is named twice');
  const byName = new Map<string, TaskSpec>();
  for (const t of tasks) {
    if (names.has(t.name)) throw new DagDefinitionError(`"${t.name}" is named twice`);
    names.add(t.name);
    byName.set(t.name, t);
  }
  for (const t of tasks) {
    for (const i of t.inputs) if (!names.has(i)) throw new DagDefinitionError(`task ${t.name} needs "${i}", which is neither a task nor a given value`);
  }
  return byName;
}

/** Kahn's algorithm, taking ready tasks in declaration order; what is left over lies on a cycle. */
function topologicalOrder(tasks: readonly TaskSpec[], byName: ReadonlyMap<string, TaskSpec>): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  const ready = (t: TaskSpec): boolean => t.inputs.every((i) => !byName.has(i) || done.has(i));
  while (order.length < tasks.length) {
    const next = tasks.find((t) => !done.has(t.name) && ready(t));
    if (!next) throw new DagDefinitionError(`cycle: ${findCycle(tasks.filter((t) => !done.has(t.name)), byName).join(' → ')}`);
    done.add(next.name);
    order.push(next.name);
  }
  return order;
}

/** Every left-over task waits on another left-over one, so walking inputs must come back round. */
function findCycle(leftOver: readonly TaskSpec[], byName: ReadonlyMap<string, TaskSpec>): string[] {
  const pending = new Set(leftOver.map((t) => t.name));
  const path: string[] = [];
  let current = leftOver[0]?.name;
  while (current !== undefined && !path.includes(current)) {
    path.push(current);
    current = byName.get(current)?.inputs.find((i) => pending.has(i));
  }
  return current === undefined ? path : [...path.slice(path.indexOf(current)), current];
}
