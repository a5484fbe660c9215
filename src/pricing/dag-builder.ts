import { createDag, type Dag, type TaskSpec, type Values } from './dag.js';

/**
 * Declares a graph one task at a time, so each task's inputs are typed by the values it names:
 * a misspelt input or a wrongly shaped one is a compile error. A task can only name what was
 * declared before it, so a typed graph cannot have a cycle; `build` still checks at run time.
 */
export interface DagBuilder<Given extends Values, Out extends Values> {
  task<N extends string, In extends keyof (Given & Out) & string, R>(
    name: N,
    inputs: readonly In[],
    run: (inputs: Pick<Given & Out, In>, signal: AbortSignal) => R | Promise<R>,
    opts?: { deadlineMs?: number },
  ): DagBuilder<Given, Out & { [K in N]: Awaited<R> }>;
  build(opts?: { now?: () => number }): Dag<Given, { [K in keyof Out]: Out[K] }>;
}

/** `givens` names the values every run is given (`Given`'s keys). */
export function dagBuilder<Given extends Values>(givens: readonly (keyof Given & string)[]): DagBuilder<Given, Record<never, never>> {
  return builderOf<Given, Record<never, never>>(givens, []);
}

function builderOf<Given extends Values, Out extends Values>(givens: readonly string[], tasks: readonly TaskSpec[]): DagBuilder<Given, Out> {
  return {
    task(name, inputs, run, opts = {}) {
      // The builder's types are what guarantee `run` receives what it named; erase them for storage.
      const spec: TaskSpec = { name, inputs, run: run as TaskSpec['run'], ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}) };
      return builderOf(givens, [...tasks, spec]);
    },
    build: (opts = {}) => createDag(givens, tasks, opts),
  };
}
