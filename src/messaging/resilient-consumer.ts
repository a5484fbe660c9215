import type { ConsumerRunConfig, Kafka, TopicPartitions } from 'kafkajs';
import type { Logger } from '../observability/logger.js';
import type { BackoffPolicy } from '../resilience/retry.js';
import { createAssignmentTracker } from './consumer-assignment.js';
import { launchConsumer, type LaunchConfig, type Launched } from './consumer-launch.js';
import { STOPPED, superviseRestarts } from './consumer-supervisor.js';

const DEFAULT_RESTART_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, multiplier: 2, jitter: 0.3 };

/**
 * A kafkajs consumer that outlives its own crashes.
 *
 * kafkajs restarts a crashed consumer only when the error was retriable. A non-retriable one
 * (a handler throwing KafkaJSNonRetriableError, or a broker answering e.g. INVALID_REQUEST or
 * an authorization error) ends in a CRASH event with `restart: false`, after which the consumer
 * sits disconnected forever while the process looks healthy. Here such a consumer is discarded
 * and a new one is created, subscribed and run with the same handlers, after an exponential,
 * jittered, bounded backoff. Uncommitted messages are then redelivered (at-least-once).
 */

export interface ResilientConsumerConfig extends LaunchConfig {
  restartBackoff?: Partial<BackoffPolicy>;
  /** A consumer that ran this long before crashing starts the backoff over; default 60 000. */
  stableAfterMs?: number;
}

export interface GroupJoin {
  memberId: string;
  leaderId: string;
  isLeader: boolean;
  assignment: TopicPartitions[];
}

export interface ConsumerCrash {
  error: Error;
  /** true: kafkajs restarts this consumer itself; false: it is re-created after `restartInMs`. */
  restartedByKafkajs: boolean;
  restartInMs?: number;
}

export interface ResilientConsumerHooks {
  /** Every successful join/sync, including ones that did not change the assignment. */
  onGroupJoin?(join: GroupJoin): void;
  /** The partitions this member owns changed; [] after a crash or stop. */
  onAssigned?(assignment: TopicPartitions[]): void;
  onCrash?(crash: ConsumerCrash): void;
  /** The group coordinator accepted a heartbeat: this member still held its assignment then. */
  onHeartbeat?(): void;
}

export interface ResilientConsumerDeps {
  kafka: Pick<Kafka, 'consumer'>;
  logger: Logger;
  now?: () => number;
  /** Must reject (or resolve early) when `signal` aborts, so stop() does not wait out a backoff. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface ResilientConsumer {
  /** Connects, subscribes and runs; rejects only if that first attempt fails. */
  start(): Promise<void>;
  /** Stops fetching; the member stays in the group (its partitions are not handed on yet). */
  pause(): void;
  /** Leaves the group and disconnects; cancels a pending restart. */
  stop(): Promise<void>;
  /** How many times a consumer was re-created after a fatal crash. */
  readonly restarts: number;
  /** The partitions owned right now, as of the last group join. */
  assignment(): TopicPartitions[];
}

export function createResilientConsumer(
  deps: ResilientConsumerDeps,
  config: ResilientConsumerConfig,
  run: ConsumerRunConfig,
  hooks: ResilientConsumerHooks = {},
): ResilientConsumer {
  const { kafka, logger } = deps;
  const now = deps.now ?? Date.now;
  const log = { groupId: config.groupId, topics: config.topics };

  let state: 'idle' | 'running' | 'stopped' = 'idle';
  let paused = false;
  let current: Launched | undefined;
  let starting: Promise<void> | undefined;
  let supervisor: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let restarts = 0;
  const stopController = new AbortController();
  let signalStopped: (value: typeof STOPPED) => void = () => {};
  const stopped = new Promise<typeof STOPPED>((resolve) => (signalStopped = resolve));

  const callHook = <A>(name: keyof ResilientConsumerHooks, fn: ((arg: A) => void) | undefined, arg: A): void => {
    try {
      fn?.call(hooks, arg);
    } catch (err) {
      logger.error({ ...log, hook: name, err }, 'resilient consumer hook threw; ignored');
    }
  };
  const owned = createAssignmentTracker((assignment) => callHook('onAssigned', hooks.onAssigned, assignment));

  async function launch(): Promise<Launched> {
    let created: Launched | undefined;
    try {
      const launched = await launchConsumer(kafka, config, run, {
        onCreated: (l) => { created = l; current = l; },
        onGroupJoin: (join) => callHook('onGroupJoin', hooks.onGroupJoin, join),
        onAssignment: (assignment) => owned.set(assignment),
        onHeartbeat: () => callHook('onHeartbeat', hooks.onHeartbeat, undefined),
        onRecoverableCrash: (error) => {
          logger.warn({ ...log, err: error }, 'Kafka consumer crashed; kafkajs restarts it');
          callHook('onCrash', hooks.onCrash, { error, restartedByKafkajs: true });
        },
      }, now);
      // A consumer re-created while the member is paused stays paused.
      if (paused) launched.consumer.pause(config.topics.map((topic) => ({ topic })));
      return launched;
    } catch (err) {
      if (created) await retire(created);
      throw err;
    }
  }

  async function retire(launched: Launched): Promise<void> {
    launched.detach();
    if (current === launched) current = undefined;
    owned.set([]);
    // After a CRASH kafkajs has disconnected already; doing it again is harmless and makes
    // sure no socket or timer of the old consumer survives next to its replacement.
    await launched.consumer.disconnect().catch((err: unknown) => logger.warn({ ...log, err }, 'disconnecting a retired Kafka consumer failed'));
  }

  const supervise = (first: Launched) => superviseRestarts(first, {
    backoff: { ...DEFAULT_RESTART_BACKOFF, ...config.restartBackoff },
    stableAfterMs: config.stableAfterMs ?? 60_000,
    now, sleep: deps.sleep ?? abortableSleep, random: deps.random ?? Math.random, logger, log,
    stopped, stopSignal: stopController.signal,
    isRunning: () => state === 'running',
    launch, retire,
    onFatalCrash: (error, restartInMs) => {
      logger.error({ ...log, err: error, restartInMs, restarts }, 'Kafka consumer failed and will not restart itself; re-creating it');
      callHook('onCrash', hooks.onCrash, { error, restartedByKafkajs: false, restartInMs });
    },
    onRestarted: () => ++restarts,
  });

  return {
    start() {
      if (state !== 'idle') return Promise.reject(new Error(`resilient consumer for ${config.groupId} was already started`));
      state = 'running';
      starting = launch().then(
        (first) => {
          supervisor = supervise(first).catch((err: unknown) => logger.error({ ...log, err }, 'Kafka consumer supervisor failed'));
        },
        (err: unknown) => {
          if (state === 'running') state = 'idle';
          throw err;
        },
      );
      return starting;
    },
    pause() {
      paused = true;
      current?.consumer.pause(config.topics.map((topic) => ({ topic })));
    },
    stop() {
      stopping ??= (async () => {
        state = 'stopped';
        signalStopped(STOPPED);
        stopController.abort();
        // A start() in flight finishes first, so its consumer is the one retired below.
        await starting?.catch(() => undefined);
        await supervisor;
        if (current) await retire(current);
      })();
      return stopping;
    },
    get restarts() {
      return restarts;
    },
    assignment: () => owned.current(),
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
