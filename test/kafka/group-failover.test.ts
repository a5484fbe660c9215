import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestTopic, kafkaTestInfra, testKafkaClient, uniqueGroupId } from '../support/kafka.js';
import { killAllMembers, spawnMember, type MemberProcess, type TimedReport } from './fixtures/member-process.js';

// Two member processes on one topic; one is SIGKILLed mid-stream like a crashed node.
const PARTITIONS = 6;
const PER_PARTITION = 40;
const SESSION_TIMEOUT = 6_000;
const HEARTBEAT = 500;
// After a member's session expires the mock waits (session timeout - 1 s) for the others to
// rejoin before it re-forms the group, so a takeover takes up to about two session timeouts.
const TAKEOVER_BOUND_MS = 2 * SESSION_TIMEOUT + 8_000;
const ALL = Array.from({ length: PARTITIONS }, (_, p) => p);

type Consumed = TimedReport & { type: 'consumed' };
type Committed = TimedReport & { type: 'committed' };
const consumedBy = (m: MemberProcess): Consumed[] => m.reports.filter((r): r is Consumed => r.type === 'consumed');
const committedBy = (m: MemberProcess): Committed[] => m.reports.filter((r): r is Committed => r.type === 'committed');

describe('a consumer group that loses one of its two member processes', () => {
  let survivor: MemberProcess;
  let killed: MemberProcess;
  let killedPartitions: number[];
  let killedAt: number;
  let takeoverMs: number;

  beforeAll(async () => {
    const topic = await createTestTopic('failover', PARTITIONS);
    const groupId = uniqueGroupId('failover');
    const spawnInGroup = (name: string): MemberProcess => spawnMember({ ...memberConfig(topic, groupId), name });
    survivor = spawnInGroup('survivor');
    killed = spawnInGroup('victim');

    await vi.waitFor(
      () => {
        const [a, b] = [survivor.assignment() ?? [], killed.assignment() ?? []];
        expect(a.length, 'survivor has partitions').toBeGreaterThan(0);
        expect(b.length, 'victim has partitions').toBeGreaterThan(0);
        expect([...a, ...b].sort((x, y) => x - y)).toEqual(ALL);
      },
      { timeout: 30_000, interval: 100 },
    );
    killedPartitions = killed.assignment() ?? [];

    const { kafka } = testKafkaClient('failover-producer');
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: ALL.flatMap((partition) =>
          Array.from({ length: PER_PARTITION }, (_, i) => ({ partition, key: `p${partition}-${i}`, value: String(i) })),
        ),
      });
    } finally {
      await producer.disconnect();
    }

    // Kill the victim partway through its share: some of it committed, most of it not.
    await vi.waitFor(() => expect(committedBy(killed).length).toBeGreaterThanOrEqual(20), { timeout: 20_000, interval: 20 });
    killedAt = Date.now();
    await killed.kill('SIGKILL');

    await vi.waitFor(() => expect(survivor.assignment()).toEqual(ALL), { timeout: TAKEOVER_BOUND_MS + 5_000, interval: 50 });
    takeoverMs = Date.now() - killedAt;
    console.info(`failover: survivor owned all ${PARTITIONS} partitions ${takeoverMs} ms after SIGKILL`);

    await vi.waitFor(
      () => {
        for (const p of ALL) {
          const offsets = new Set([...consumedBy(survivor), ...consumedBy(killed)].filter((r) => r.partition === p).map((r) => r.offset));
          expect(offsets.size, `distinct offsets consumed on partition ${p}`).toBe(PER_PARTITION);
        }
      },
      { timeout: 30_000, interval: 100 },
    );
  }, 120_000);

  afterAll(killAllMembers);

  it('gives the survivor every partition within about two session timeouts of the kill', () => {
    expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_BOUND_MS);
  });

  it('never consumes again a message the group had committed before the kill', () => {
    for (const p of ALL) {
      const committedBeforeKill = [...committedBy(survivor), ...committedBy(killed)]
        .filter((r) => r.partition === p && r.at <= killedAt)
        .reduce((max, r) => Math.max(max, r.offset), 0);
      const consumedAfterKill = consumedBy(survivor).filter((r) => r.partition === p && r.at > killedAt);
      for (const r of consumedAfterKill) {
        expect(r.offset, `partition ${p}: offset ${r.offset} re-consumed below commit ${committedBeforeKill}`).toBeGreaterThanOrEqual(
          committedBeforeKill,
        );
      }
    }
  });

  it("resumes each of the killed member's partitions exactly at its last committed offset", () => {
    let resumedMidStream = 0;
    for (const p of killedPartitions) {
      const lastReported = committedBy(killed)
        .filter((r) => r.partition === p)
        .reduce((max, r) => Math.max(max, r.offset), 0);
      const first = consumedBy(survivor).find((r) => r.partition === p)?.offset;
      // The victim may have died after its commit was acknowledged but before reporting it.
      expect(first, `partition ${p} first offset taken over`).toBeGreaterThanOrEqual(lastReported);
      expect(first, `partition ${p} first offset taken over`).toBeLessThanOrEqual(lastReported + 1);
      if (lastReported > 0 && lastReported < PER_PARTITION) resumedMidStream++;
    }
    // Otherwise the scenario proved nothing about committed offsets.
    expect(resumedMidStream, 'partitions killed mid-stream').toBeGreaterThan(0);
  });

  it('loses no message: every produced offset is consumed by one of the members', () => {
    for (const p of ALL) {
      const offsets = new Set([...consumedBy(survivor), ...consumedBy(killed)].filter((r) => r.partition === p).map((r) => r.offset));
      expect([...offsets].sort((a, b) => a - b)).toEqual(Array.from({ length: PER_PARTITION }, (_, i) => i));
    }
  });

  it('never crashes a consumer along the way', () => {
    expect([...survivor.crashes(), ...killed.crashes()]).toEqual([]);
  });
});

function memberConfig(topic: string, groupId: string): Omit<Parameters<typeof spawnMember>[0], 'name'> {
  return {
    brokers: kafkaTestInfra().brokers,
    topic,
    groupId,
    sessionTimeout: SESSION_TIMEOUT,
    heartbeatInterval: HEARTBEAT,
    maxWaitTimeInMs: 100,
    processDelayMs: 30, // keeps the victim mid-stream when it is killed
  };
}
