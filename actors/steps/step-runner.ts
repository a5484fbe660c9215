import type { PricedOrder } from '../../src/domain/order.js';
import type { StepName } from '../../src/domain/checkout-steps.js';
import { FatalError, TransientError } from '../../src/domain/errors.js';
import { stepUnavailable } from '../../src/domain/failure-reasons.js';
import { retry, type RetryPolicy, type RetryResult } from '../../src/resilience/retry.js';
import type { CheckoutSteps } from '../../src/domain/checkout-steps.js';
import { stepDefinition, UNDO_RETRY, type StepDefinition } from '../order/checkout-flow.js';
import { dispatch, isAlive, spawnActor, type Ref } from '../typed-nact.js';

/** One step (or its compensation) to run for one order; `run` tells a current job from a stale one. */
export interface StepJob {
  kind: 'run' | 'compensate';
  step: StepName;
  /** Which call runs the step: its own, or its second channel (a fallback taken earlier). */
  channel: 'primary' | 'second';
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

/** Replaces parts of every step's declared retry policy (tests, or an operator tuning all steps at once). */
export interface RetryOverride { maxAttempts?: number; initialMs?: number; maxMs?: number }

export interface StepRunnerDeps {
  steps: CheckoutSteps;
  retryOverride?: RetryOverride;
  sleep(ms: number): Promise<void>;
}

/** The policy a job runs under: the step's own (or undo's), with the override applied. */
export function policyFor(job: Pick<StepJob, 'kind' | 'step'>, override: RetryOverride = {}): RetryPolicy {
  const declared = job.kind === 'run' ? stepDefinition(job.step).retry : UNDO_RETRY;
  return {
    // An undo's budget stays unbounded whatever the override says.
    maxAttempts: job.kind === 'run' ? override.maxAttempts ?? declared.maxAttempts : declared.maxAttempts,
    backoff: { ...declared.backoff, initialMs: override.initialMs ?? declared.backoff.initialMs, maxMs: override.maxMs ?? declared.backoff.maxMs },
  };
}

/**
 * A supervised child of the order actor that calls one downstream service, retrying transient
 * failures with backoff, and reports the outcome to its parent, which persists it. The runner
 * stops quietly when its parent stopped it (cancel, passivation, a lost shard). Anything that is
 * not a FatalError counts as transient: an unknown error is retried, never taken as a "no".
 */
export function spawnStepRunner(parent: Ref<StepReport>, job: StepJob, deps: StepRunnerDeps): Ref<'start'> {
  const definition = stepDefinition(job.step);
  const ref = spawnActor<null, 'start'>(parent, `${job.kind}-${job.step}-${job.run}`, {
    initialState: null,
    handle: async (_state, _msg, self) => {
      const stillWanted = () => isAlive(self);
      const result = await retry(callFor(definition, job, deps.steps), policyFor(job, deps.retryOverride), {
        sleep: deps.sleep,
        stillWanted,
        retriable: (err) => !(err instanceof FatalError),
        onAttemptFailed: (attempt, error) => {
          if (stillWanted()) dispatch(parent, { type: 'attempt-failed', run: job.run, step: job.step, kind: job.kind, attempt, error: errorText(error) });
        },
      });
      if (!stillWanted() || (!result.ok && result.stop === 'abandoned')) return null;
      if (job.kind === 'compensate') {
        // A compensation never gives up: a fatal answer to an undo means there is nothing left to undo.
        dispatch(parent, { type: 'compensation-done', run: job.run, step: job.step, attempts: result.attempts });
        return null;
      }
      dispatch(parent, { type: 'step-done', run: job.run, step: job.step, outcome: outcomeOf(result, job.step) });
      return null;
    },
  });
  dispatch(ref, 'start');
  return ref;
}

function callFor(definition: StepDefinition, job: StepJob, steps: CheckoutSteps): () => Promise<string | void> {
  if (job.kind === 'run') {
    const second = definition.fallback?.run;
    if (job.channel === 'second' && !second) throw new Error(`step ${job.step} has no second channel`);
    const call = job.channel === 'second' && second ? second : definition.run;
    return () => withinDeadline(call(steps, job.order), definition.deadlineMs, job.step);
  }
  const undo = definition.compensate;
  if (!undo) throw new Error(`step ${job.step} has no compensation`);
  return () => undo(steps, job.order);
}

/**
 * The step's own deadline per attempt. The call itself is left to finish or time out on its own:
 * the retry reuses its idempotency key, so a late answer cannot apply anything twice. The timeout
 * is reported only after the event loop has read its sockets: a process woken from a pause
 * (SIGSTOP, a long GC) runs its overdue timers before its I/O, and an answer that arrived while
 * it slept must win over a retry that would call the service again.
 */
function withinDeadline<T>(call: Promise<T>, deadlineMs: number, step: StepName): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => setImmediate(() => reject(new TransientError(`${step} took longer than its ${deadlineMs} ms deadline`))), deadlineMs);
  });
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}

function outcomeOf(result: Exclude<RetryResult<string | void>, { stop: 'abandoned' }>, step: StepName): StepOutcome {
  if (result.ok) return { ok: true, resultId: String(result.value), attempts: result.attempts };
  const definitive = result.stop === 'not-retriable';
  const error = definitive ? (result.error as FatalError) : stepUnavailable(step, result.error);
  return { ok: false, reason: error.reason, message: error.customerMessage, definitive, attempts: result.attempts };
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
