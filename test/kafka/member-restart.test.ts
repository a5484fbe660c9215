import { Partitioners } from 'kafkajs';
import { afterEach, expect, it, vi } from 'vitest';
import { createTestTopic, kafkaTestInfra, testKafkaClient, uniqueGroupId } from '../support/kafka.js';
import { killAllMembers, spawnMember, type MemberProcess, type TimedReport } from './fixtures/member-process.js';

const PARTITIONS = 6;
const ROUNDS = 10;
// Short timeouts so ten kill/restart rounds fit in about a minute; the dead member's session
// must expire before the group can re-form without it.
const SESSION_TIMEOUT = 3_000;
const HEARTBEAT = 300;
const ROUND_BOUND_MS = 3 * SESSION_TIMEOUT + 10_000;
const ALL = Array.from({ length: PARTITIONS }, (_, p) => p);

afterEach(killAllMembers);

it('a member that is SIGKILLed and restarted rejoins and gets its share of partitions back, 10 times in a row', async () => {
  const topic = await createTestTopic('restart', PARTITIONS);
  const groupId = uniqueGroupId('restart');
  const { kafka } = testKafkaClient('restart-producer');
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const spawn = (name: string): MemberProcess =>
    spawnMember({
      brokers: kafkaTestInfra().brokers,
      topic,
      groupId,
      name,
      sessionTimeout: SESSION_TIMEOUT,
      heartbeatInterval: HEARTBEAT,
      maxWaitTimeInMs: 100,
      processDelayMs: 0,
    });

  const stable = spawn('stable');
  let restarted = spawn('restarted-0');
  const everyMember = [stable, restarted];
  const roundMs: number[] = [];
  try {
    await waitForEvenSplit(stable, restarted, 30_000);
    for (let round = 1; round <= ROUNDS; round++) {
      const started = Date.now();
      await restarted.kill('SIGKILL');
      restarted = spawn(`restarted-${round}`);
      everyMember.push(restarted);
      await waitForEvenSplit(stable, restarted, ROUND_BOUND_MS);
      roundMs.push(Date.now() - started);
      // An assignment only counts if the owner really fetches it: one message per partition.
      await producer.send({ topic, acks: -1, messages: ALL.map((partition) => ({ partition, key: `round-${round}`, value: '' })) });
      await vi.waitFor(
        () => {
          for (const owner of [stable, restarted]) {
            for (const p of owner.assignment() ?? []) {
              expect(consumed(owner, p, `round-${round}`), `${owner.name} consumed round ${round} on partition ${p}`).toBe(true);
            }
          }
        },
        { timeout: 15_000, interval: 50 },
      );
    }
  } finally {
    await producer.disconnect();
  }
  console.info(`restart rounds (ms from SIGKILL to even split): ${roundMs.join(', ')}`);
  expect(roundMs).toHaveLength(ROUNDS);
  expect(everyMember.flatMap((m) => m.crashes())).toEqual([]);
}, 240_000);

async function waitForEvenSplit(a: MemberProcess, b: MemberProcess, timeout: number): Promise<void> {
  await vi.waitFor(
    () => {
      const [pa, pb] = [a.assignment() ?? [], b.assignment() ?? []];
      expect(pa, `${a.name} share (${b.name} has ${JSON.stringify(pb)})`).toHaveLength(PARTITIONS / 2);
      expect(pb, `${b.name} share (${a.name} has ${JSON.stringify(pa)})`).toHaveLength(PARTITIONS / 2);
      expect([...pa, ...pb].sort((x, y) => x - y)).toEqual(ALL);
    },
    { timeout, interval: 50 },
  );
}

function consumed(member: MemberProcess, partition: number, key: string): boolean {
  return member.reports.some((r: TimedReport) => r.type === 'consumed' && r.partition === partition && r.key === key);
}
