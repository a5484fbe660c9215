import type { PricedOrder } from '../../src/domain/order.js';
import { stepUnavailable } from '../../src/domain/failure-reasons.js';
import type { CheckoutSteps, StepName } from '../../src/domain/checkout-steps.js';
import { stepDefinition } from '../order/checkout-flow.js';
import { retry, type RetryPolicy } from '../retry-policy.js';
import { dispatch, isAlive, spawnActor, type Ref } from '../typed-nact.js';

/** One step (or its compensation) to run for one order; `run` tells a current job from a stale one. */
export interface StepJob {
  kind: 'run' | 'compensate';
  step: StepName;
  run: number;
  order: PricedOrder;
}

export type StepOutcome =
  | { ok: true; resultId: string; attempts: number }
  | { ok: false; reason: string; message: string; definitive: boolean; attempts: number };

/** What a step runner tells its order. */
export type StepReport =
  | { type: 'step-done'; run: number; step: StepName; outcome: StepOutcome }
  | { type: 'compensation-done'; run: number; step: StepName; attempts: number }
  | { type: 'attempt-failed'; run: number; step: StepName; kind: StepJob['kind']; attempt: number; error: string };

export interface StepRunnerDeps {
  steps: CheckoutSteps;
  /** Budget for forward steps: spent means the order compensates instead of hanging. */
  stepPolicy: RetryPolicy;
  /** Compensations retry until they succeed (bounded delay, unbounded attempts). */
  compensationPolicy: RetryPolicy;
  sleep(ms: number): Promise<void>;
}

/**
 * A supervised child of the order actor that calls one downstream service, retrying transient
 * failures with backoff, and reports the outcome to its parent, which persists it. The runner
 * stops quietly when its parent stopped it (cancel, passivation, a lost shard).
 */
export function spawnStepRunner(parent: Ref<StepReport>, job: StepJob, deps: StepRunnerDeps): Ref<'start'> {
  const definition = stepDefinition(job.step);
  const ref = spawnActor<null, 'start'>(parent, `${job.kind}-${job.step}-${job.run}`, {
    initialState: null,
    handle: async (_state, _msg, self) => {
      const stillWanted = () => isAlive(self);
      const onAttemptFailed = (attempt: number, error: unknown) => {
        if (stillWanted()) dispatch(parent, { type: 'attempt-failed', run: job.run, step: job.step, kind: job.kind, attempt, error: errorText(error) });
      };
      if (job.kind === 'run') {
        const result = await retry(() => definition.run(deps.steps, job.order), deps.stepPolicy, { sleep: deps.sleep, stillWanted, onAttemptFailed },
          (last) => stepUnavailable(job.step, last));
        if (!stillWanted() || 'abandoned' in result) return null;
        const outcome: StepOutcome = result.ok
          ? { ok: true, resultId: result.value, attempts: result.attempts }
          : { ok: false, reason: result.error.reason, message: result.error.customerMessage, definitive: result.definitive, attempts: result.attempts };
        dispatch(parent, { type: 'step-done', run: job.run, step: job.step, outcome });
      } else {
        const compensate = definition.compensate;
        if (!compensate) throw new Error(`step ${job.step} has no compensation`);
        const result = await retry(() => compensate(deps.steps, job.order), deps.compensationPolicy, { sleep: deps.sleep, stillWanted, onAttemptFailed },
          (last) => stepUnavailable(job.step, last));
        if (!stillWanted() || 'abandoned' in result) return null;
        // A compensation never gives up: a fatal answer to an undo means there is nothing left to undo.
        dispatch(parent, { type: 'compensation-done', run: job.run, step: job.step, attempts: result.attempts });
      }
      return null;
    },
  });
  dispatch(ref, 'start');
  return ref;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
