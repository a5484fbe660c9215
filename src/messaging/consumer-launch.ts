import type { Consumer, ConsumerRunConfig, Kafka, TopicPartitions } from 'kafkajs';
import { normalizeAssignment } from './consumer-assignment.js';

/** The kafkajs settings one launch of a resilient consumer uses. */
export interface LaunchConfig {
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
}

/** One kafkajs consumer, connected, subscribed and running. */
export interface Launched {
  consumer: Consumer;
  startedAt: number;
  /** Resolves with the error of a crash kafkajs will not recover from itself. */
  fatalCrash: Promise<Error>;
  detach: () => void;
}

export interface LaunchEvents {
  onGroupJoin(join: { memberId: string; leaderId: string; isLeader: boolean; assignment: TopicPartitions[] }): void;
  /** The partitions this member owns now ([] when it lost them all). */
  onAssignment(assignment: TopicPartitions[]): void;
  /** A crash kafkajs restarts by itself. */
  onRecoverableCrash(error: Error): void;
  /** The group coordinator accepted a heartbeat: the member and its assignment still stood then. */
  onHeartbeat?(): void;
  /** Called as soon as the consumer exists, before it connects: a failed start must still be retired. */
  onCreated(launched: Launched): void;
}

/**
 * Creates, connects, subscribes and runs one consumer. A group join with a new member id means
 * the group expelled this member (e.g. its process was paused past the session timeout) and
 * others owned its partitions meanwhile: it holds none of them any more, even if the new
 * assignment names the same ones, so it must take them anew.
 */
export async function launchConsumer(kafka: Pick<Kafka, 'consumer'>, config: LaunchConfig, run: ConsumerRunConfig, events: LaunchEvents, now: () => number): Promise<Launched> {
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
      const assignment = normalizeAssignment(Object.entries(payload.memberAssignment).map(([topic, partitions]) => ({ topic, partitions })));
      events.onGroupJoin({ memberId: payload.memberId, leaderId: payload.leaderId, isLeader: payload.isLeader, assignment });
      if (memberId !== undefined && payload.memberId !== memberId) events.onAssignment([]);
      memberId = payload.memberId;
      events.onAssignment(assignment);
    }),
    consumer.on(consumer.events.HEARTBEAT, () => events.onHeartbeat?.()),
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      events.onAssignment([]);
      if (payload.restart) events.onRecoverableCrash(payload.error);
      else onFatal(payload.error);
    }),
  ];
  const launched: Launched = { consumer, startedAt: now(), fatalCrash, detach: () => removers.forEach((remove) => remove()) };
  events.onCreated(launched);
  await consumer.connect();
  await consumer.subscribe({ topics: config.topics, fromBeginning: config.fromBeginning ?? false });
  await consumer.run(run);
  return launched;
}
