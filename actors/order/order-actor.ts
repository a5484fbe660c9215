import type { Logger } from '../../src/observability/logger.js';
import { JournalConflictError } from '../../src/domain/errors.js';
import { isTerminal, type PricedOrder } from '../../src/domain/order.js';
import { backoffDelay, type RetryPolicy } from '../../src/resilience/retry.js';
import type { OrderHooks, StepFinished } from '../order-hooks.js';
import { spawnStepRunner, type StepJob, type StepReport, type StepRunnerDeps } from '../steps/step-runner.js';
import type { PersistenceEngine } from '../../src/storage/persistence-engine.js';
import { dispatch, isAlive, spawnEventSourced, stopActor, type Effect, type Ref } from '../typed-nact.js';
import type { FallbackSettings } from '../../src/resilience/fallback-settings.js';
import type { OrderEvent } from './order-events.js';
import { applyOrderEvent, emptyOrderState, nextAction, type OrderState } from './order-state.js';
import { fallbackDecision } from './step-fallback-decision.js';

export interface OrderReply { orderId: string; state: OrderState; duplicate?: boolean }

export type OrderCommand =
  | { type: 'place'; order: PricedOrder; replyTo?: Ref<OrderReply> }
  | { type: 'cancel'; reason: string; replyTo?: Ref<OrderReply> }
  | { type: 'get'; replyTo: Ref<OrderReply> }
  /** Look at the state and carry on: sent after spawning (recovery done) and after a reset. */
  | { type: 'resume' }
  | StepReport;

export interface OrderActorDeps extends Pick<OrderHooks, 'onAttemptFailed' | 'onStepFinished' | 'onResumed' | 'onStopped'> {
  engine: PersistenceEngine;
  runner: StepRunnerDeps;
  nodeId: string;
  clock(): number;
  snapshotEvery: number;
  /** Which step fallbacks this node may take, and their limits (decided once, then journaled). */
  fallbacks: FallbackSettings;
  /** Backoff between recoveries after storage failures; gives up (stops) after maxAttempts. */
  recoveryPolicy: RetryPolicy;
  logger: Logger;
  /** Leave a finished step's runner alive until the order stops (the old behaviour; A/B runs only). */
  keepFinishedRunners?: boolean;
  /** Every persisted event (the registry wraps OrderHooks.onEvent here). */
  onEvent?(orderId: string, event: OrderEvent, state: OrderState): void;
  /** Another writer appended to this order's journal: this actor stopped; `command` was not handled. */
  onFenced?(orderId: string, command: OrderCommand | undefined): void;
}

type OrderEffect = Effect<OrderState, OrderEvent> | undefined;

/** Step jobs are numbered across the process: a report can only ever match the job that made it. */
let lastRun = 0;

/**
 * One order's persistent actor: it persists each step's outcome, then starts the next step (or
 * compensation) as a supervised child, so a crash anywhere resumes from the last persisted step.
 */
export function spawnOrderActor(parent: Ref<never>, orderId: string, deps: OrderActorDeps): Ref<OrderCommand> {
  const log = deps.logger.child({ orderId });
  let child: { ref: Ref<'start'>; job: StepJob; startedAt: number } | undefined;
  let storageFailures = 0;
  let self: Ref<OrderCommand> | undefined;
  const stamp = () => ({ v: 1 as const, at: deps.clock(), node: deps.nodeId });

  const stopChild = () => {
    if (child) stopActor(child.ref);
    child = undefined;
  };

  const drive = (state: OrderState, me: Ref<OrderCommand>) => {
    const action = nextAction(state);
    if (action.kind === 'close') return dispatch(me, { type: 'resume' });
    if (action.kind === 'wait' || !state.order) return stopChild();
    const channel = action.kind === 'run' ? action.channel : 'primary';
    if (child && child.job.kind === action.kind && child.job.step === action.step && child.job.channel === channel) return;
    stopChild();
    const job: StepJob = { kind: action.kind, step: action.step, channel, run: ++lastRun, order: state.order };
    log.debug({ step: job.step, kind: job.kind }, 'starting step');
    child = { ref: spawnStepRunner(me as Ref<StepReport>, job, deps.runner), job, startedAt: deps.clock() };
  };

  const persistThenDrive = (event: OrderEvent, me: Ref<OrderCommand>, after?: (s: OrderState) => void): OrderEffect => ({
    persist: [event],
    andThen: (state) => {
      storageFailures = 0;
      deps.onEvent?.(orderId, event, state);
      after?.(state);
      drive(state, me);
    },
  });

  const reply = (to: Ref<OrderReply> | undefined, state: OrderState, duplicate?: boolean) => {
    if (to) dispatch(to, { orderId, state, ...(duplicate ? { duplicate } : {}) });
  };

  const isCurrent = (report: StepReport) =>
    child !== undefined && child.job.run === report.run && child.job.step === report.step &&
    child.job.kind === (report.type === 'step-done' ? 'run' : report.type === 'compensation-done' ? 'compensate' : report.kind);

  /** A runner that reported is done: stopped now rather than idling as a child until the order stops. */
  const runnerFinished = () => {
    if (deps.keepFinishedRunners) child = undefined;
    else stopChild();
  };

  const finished = (step: string, kind: StepJob['kind'], outcome: StepFinished['outcome'], attempts: number) => {
    if (child) deps.onStepFinished?.(orderId, { step, kind, outcome, attempts, ms: deps.clock() - child.startedAt });
  };

  const onCommand = (state: OrderState, cmd: OrderCommand, me: Ref<OrderCommand>): OrderEffect => {
    switch (cmd.type) {
      case 'place':
        if (cmd.order.orderId !== orderId) throw new Error(`order ${cmd.order.orderId} sent to actor of ${orderId}`);
        if (state.status !== 'NEW') return { andThen: (s) => { reply(cmd.replyTo, s, true); drive(s, me); } };
        return persistThenDrive({ type: 'OrderPlaced', order: cmd.order, ...stamp() }, me, (s) => reply(cmd.replyTo, s));
      case 'cancel':
        if (state.compensation || isTerminal(state.status)) return { andThen: (s) => reply(cmd.replyTo, s) };
        stopChild();
        return persistThenDrive({ type: 'CancelRequested', reason: cmd.reason, ...stamp() }, me, (s) => reply(cmd.replyTo, s));
      case 'get':
        reply(cmd.replyTo, state);
        return undefined;
      case 'resume': {
        const action = nextAction(state);
        if (action.kind === 'close') return persistThenDrive({ type: 'OrderClosed', outcome: action.outcome, ...stamp() }, me);
        return { andThen: (s) => { deps.onResumed?.(orderId, s); drive(s, me); } };
      }
      case 'attempt-failed':
        if (!isCurrent(cmd)) return undefined;
        log.debug({ step: cmd.step, kind: cmd.kind, attempt: cmd.attempt, error: cmd.error }, 'step attempt failed');
        deps.onAttemptFailed?.(orderId, cmd);
        return undefined;
      case 'step-done': {
        if (!isCurrent(cmd) || state.compensation) return undefined;
        const o = cmd.outcome;
        finished(cmd.step, 'run', o.ok ? 'ok' : o.definitive ? 'fatal' : 'gave_up', o.attempts);
        runnerFinished();
        if (!o.ok && !o.definitive) {
          const decision = fallbackDecision(state, cmd.step, deps.fallbacks);
          if (decision?.take) {
            log.info({ step: cmd.step, rule: decision.event.rule, attempts: o.attempts }, 'step unavailable past its budget: taking its fallback');
            return persistThenDrive({ ...decision.event, attempts: o.attempts, ...stamp() }, me);
          }
          if (decision) log.info({ step: cmd.step, why: decision.why }, 'step unavailable past its budget: its fallback does not apply');
        }
        if (!o.ok) log.info({ step: cmd.step, reason: o.reason, attempts: o.attempts, definitive: o.definitive }, 'step failed: undoing the completed steps');
        return persistThenDrive(o.ok
          ? { type: 'StepSucceeded', step: cmd.step, resultId: o.resultId, attempts: o.attempts, ...stamp() }
          : { type: 'StepFailed', step: cmd.step, reason: o.reason, message: o.message, definitive: o.definitive, attempts: o.attempts, ...stamp() }, me);
      }
      case 'compensation-done':
        if (!isCurrent(cmd)) return undefined;
        finished(cmd.step, 'compensate', 'ok', cmd.attempts);
        runnerFinished();
        return persistThenDrive({ type: 'StepCompensated', step: cmd.step, attempts: cmd.attempts, ...stamp() }, me);
    }
  };

  self = spawnEventSourced<OrderState, OrderCommand, OrderEvent>(parent, orderId, {
    key: orderId,
    emptyState: emptyOrderState,
    engine: deps.engine,
    snapshotEvery: deps.snapshotEvery,
    onCommand,
    onEvent: applyOrderEvent,
    onSnapshotFailed: (err) => log.warn({ err }, 'snapshot failed; recovery will replay more events'),
    onCrash: async (err, msg, crashedChild) => {
      if (crashedChild) {
        // A runner only throws on a bug; drop it and let the order start the job afresh.
        log.error({ err, step: child?.job.step, kind: child?.job.kind }, 'step runner crashed');
        child = undefined;
        if (self) dispatch(self, { type: 'resume' });
        return 'stopChild';
      }
      child = undefined;
      if (err instanceof JournalConflictError) {
        log.warn({ seq: err.seq }, 'another writer owns this order: stopping');
        deps.onFenced?.(orderId, msg as OrderCommand | undefined);
        return 'stop';
      }
      // Stopped while a handler was still running (its shard left this node): nothing can reach
      // the actor any more, so it is not recovered. A recovery here would read for nothing, and in
      // JOURNAL_MODE=fenced it would take the order from the shard's new owner.
      if (self && !isAlive(self)) {
        log.info({ err }, 'order actor stopped while handling a command: not recovering it');
        return 'resume';
      }
      storageFailures += 1;
      if (storageFailures >= deps.recoveryPolicy.maxAttempts) {
        log.error({ err, failures: storageFailures }, 'order actor keeps failing: stopping it');
        return 'stop';
      }
      log.warn({ err, failures: storageFailures, command: (msg as { type?: string } | undefined)?.type }, 'order actor failed: recovering from the journal');
      await deps.runner.sleep(backoffDelay(storageFailures, deps.recoveryPolicy.backoff));
      if (self) dispatch(self, { type: 'resume' });
      return 'reset';
    },
    afterStop: () => {
      stopChild();
      deps.onStopped?.(orderId);
    },
  });
  dispatch(self, { type: 'resume' });
  return self;
}
