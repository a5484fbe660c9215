import type { Consumer, ConsumerRunConfig, Kafka, TopicPartitions } from 'kafkajs';
import { backoffDelay, type BackoffPolicy } from '../resilience/retry.js';

const DEFAULT_RESTART_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, multiplier: 2, jitter: 0.3 };
import type { Logger } from '../observability/logger.js';

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

export interface ResilientConsumerConfig {
  groupId: string;
  topics: string[];
  fromBeginning?: boolean;
  /** kafkajs default 30 000. After a member dies, its partitions move only after this. */
  sessionTimeout?: number;
  /** kafkajs default 3 000; keep it at about a third of sessionTimeout or less. */
  heartbeatInterval?: number;
  rebalanceTimeout?: number;
  /**
   * How long a Fetch may wait for data; default 200 ms (kafkajs: 5 000). kafkajs heartbeats only
   * between fetches, so a long wait on quiet partitions delays rebalances by that much.
   */
  maxWaitTimeInMs?: number;
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
  /** Leaves the group and disconnects; cancels a pending restart. */
  stop(): Promise<void>;
  /** How many times a consumer was re-created after a fatal crash. */
  readonly restarts: number;
  /** The partitions owned right now, as of the last group join. */
  assignment(): TopicPartitions[];
}

interface Launched {
  consumer: Consumer;
  startedAt: number;
  fatalCrash: Promise<Error>;
  detach: () => void;
}

const STOPPED = Symbol('stopped');

export function createResilientConsumer(
  deps: ResilientConsumerDeps,
  config: ResilientConsumerConfig,
  run: ConsumerRunConfig,
  hooks: ResilientConsumerHooks = {},
): ResilientConsumer {
  const { kafka, logger } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? abortableSleep;
  const random = deps.random ?? Math.random;
  const backoff: BackoffPolicy = { ...DEFAULT_RESTART_BACKOFF, ...config.restartBackoff };
  const stableAfterMs = config.stableAfterMs ?? 60_000;
  const log = { groupId: config.groupId, topics: config.topics };

  let state: 'idle' | 'running' | 'stopped' = 'idle';
  let current: Launched | undefined;
  let starting: Promise<void> | undefined;
  let supervisor: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let restarts = 0;
  let owned: TopicPartitions[] = [];
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

  const setAssignment = (next: TopicPartitions[]): void => {
    const normalized = normalize(next);
    if (JSON.stringify(normalized) === JSON.stringify(owned)) return;
    owned = normalized;
    callHook('onAssigned', hooks.onAssigned, owned);
  };

  async function launch(): Promise<Launched> {
    const consumer = kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeout ?? 30_000,
      heartbeatInterval: config.heartbeatInterval ?? 3_000,
      rebalanceTimeout: config.rebalanceTimeout ?? 60_000,
      maxWaitTimeInMs: config.maxWaitTimeInMs ?? 200,
    });
    let onFatal: (error: Error) => void = () => {};
    const fatalCrash = new Promise<Error>((resolve) => (onFatal = resolve));
    let memberId: string | undefined;
    const removers = [
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const assignment = normalize(Object.entries(payload.memberAssignment).map(([topic, partitions]) => ({ topic, partitions })));
        callHook('onGroupJoin', hooks.onGroupJoin, { memberId: payload.memberId, leaderId: payload.leaderId, isLeader: payload.isLeader, assignment });
        // A new member id means the group expelled this member (e.g. its process was paused past
        // the session timeout) and others owned its partitions meanwhile: it holds none of them
        // any more, even if the new assignment names the same ones, so it must take them anew.
        if (memberId !== undefined && payload.memberId !== memberId) setAssignment([]);
        memberId = payload.memberId;
        setAssignment(assignment);
      }),
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        setAssignment([]);
        if (payload.restart) {
          logger.warn({ ...log, err: payload.error }, 'Kafka consumer crashed; kafkajs restarts it');
          callHook('onCrash', hooks.onCrash, { error: payload.error, restartedByKafkajs: true });
        } else {
          onFatal(payload.error);
        }
      }),
    ];
    const launched = { consumer, startedAt: now(), fatalCrash, detach: () => removers.forEach((remove) => remove()) };
    current = launched;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: config.topics, fromBeginning: config.fromBeginning ?? false });
      await consumer.run(run);
    } catch (err) {
      await retire(launched);
      throw err;
    }
    return launched;
  }

  async function retire(launched: Launched): Promise<void> {
    launched.detach();
    if (current === launched) current = undefined;
    setAssignment([]);
    // After a CRASH kafkajs has disconnected already; doing it again is harmless and makes
    // sure no socket or timer of the old consumer survives next to its replacement.
    await launched.consumer.disconnect().catch((err: unknown) => logger.warn({ ...log, err }, 'disconnecting a retired Kafka consumer failed'));
  }

  async function supervise(first: Launched): Promise<void> {
    let launched: Launched | undefined = first;
    let failures = 0;
    let lastError: unknown;
    for (;;) {
      if (launched) {
        const outcome = await Promise.race([stopped, launched.fatalCrash]);
        if (outcome === STOPPED) return;
        lastError = outcome;
        if (now() - launched.startedAt >= stableAfterMs) failures = 0;
        await retire(launched);
        launched = undefined;
      }
      const delay = backoffDelay(++failures, backoff, random);
      logger.error({ ...log, err: lastError, restartInMs: delay, restarts }, 'Kafka consumer failed and will not restart itself; re-creating it');
      callHook('onCrash', hooks.onCrash, { error: toError(lastError), restartedByKafkajs: false, restartInMs: delay });
      try {
        await sleep(delay, stopController.signal);
      } catch {
        // aborted by stop()
      }
      if (state !== 'running') return;
      restarts += 1;
      try {
        launched = await launch();
        logger.info({ ...log, restarts }, 'Kafka consumer re-created');
      } catch (err) {
        lastError = err;
      }
    }
  }

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
    assignment: () => owned.map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions] })),
  };
}

function normalize(assignment: TopicPartitions[]): TopicPartitions[] {
  return assignment
    .filter((tp) => tp.partitions.length > 0)
    .map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions].sort((a, b) => a - b) }))
    .sort((a, b) => a.topic.localeCompare(b.topic));
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
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
