import type { Kafka, TopicPartitions } from 'kafkajs';
import { expect, it } from 'vitest';
import { createResilientConsumer } from '../../src/messaging/resilient-consumer.js';
import { recordingLogger } from '../support/recording-logger.js';

/*
 * A member the group expelled (its process was paused past the session timeout) rejoins under a
 * new member id, and the group may hand it the very partitions it held before, which others owned
 * meanwhile. It must be told it lost them and got them anew, or it never re-takes them (the
 * zombie test shows the orders that then stall). A fake kafkajs consumer drives the joins.
 */
it('reports an expelled member\'s partitions as lost before its new assignment, even an identical one', async () => {
  type Listener = (e: { payload: { memberId: string; leaderId: string; isLeader: boolean; memberAssignment: Record<string, number[]> } }) => void;
  let onJoin: Listener | undefined;
  const fakeConsumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: (event: string, listener: Listener) => { if (event === 'join') onJoin = listener; return () => undefined; },
    connect: async () => undefined, subscribe: async () => undefined, run: async () => undefined, disconnect: async () => undefined,
  };
  const assignments: TopicPartitions[][] = [];
  const consumer = createResilientConsumer(
    { kafka: { consumer: () => fakeConsumer } as unknown as Pick<Kafka, 'consumer'>, logger: recordingLogger() },
    { groupId: 'g', topics: ['t'] },
    { eachMessage: async () => undefined },
    { onAssigned: (a) => assignments.push(a) },
  );
  await consumer.start();
  const join = (memberId: string, partitions: number[]) => onJoin!({ payload: { memberId, leaderId: memberId, isLeader: true, memberAssignment: { t: partitions } } });

  join('member-a', [0, 3]);
  join('member-a', [0, 3]); // a rebalance this member took part in: nothing changed hands
  join('member-b', [0, 3]); // expelled, rejoined with a new id, handed the same partitions
  await consumer.stop();

  expect(assignments.slice(0, 3)).toEqual([[{ topic: 't', partitions: [0, 3] }], [], [{ topic: 't', partitions: [0, 3] }]]);
});
