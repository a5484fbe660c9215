import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { FETCH_WAKEUP_INSERTS, FETCH_WAKEUP_MARKER, FETCH_WAKEUP_PATCHES } from '../../cluster/local/kafka/fetch-wakeup-patch.js';
import { ensureMockBroker, MOCK_BROKER_FILES } from '../../cluster/local/kafka/mock-broker-build.js';
import { startMockBroker, type MockBroker } from '../../cluster/local/kafka/mock-broker.js';
import { applyPatch, PatchAnchorNotFoundError } from '../../cluster/local/kafka/mock-source-patches.js';
import { createKafkaClient } from '../../src/messaging/kafka-client.js';
import { kafkaTestInfra, uniqueGroupId } from '../support/kafka.js';
import { recordingLogger } from '../support/recording-logger.js';

const onMock = kafkaTestInfra().controlAddress !== undefined;
/** Long enough that a held fetch is unmistakable next to one answered when data arrives. */
const FETCH_WAIT_MS = 3_000;
const MESSAGES = 5;
const TOPIC = 'wakeup';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c().catch(() => undefined)));
});

/** A broker of the test's own, started with CHECKOUT_MOCK_FETCH_WAKEUP as given (undefined: the launcher's default). */
async function brokerWith(wakeup: string | undefined): Promise<Kafka> {
  const saved = process.env.CHECKOUT_MOCK_FETCH_WAKEUP;
  if (wakeup === undefined) delete process.env.CHECKOUT_MOCK_FETCH_WAKEUP;
  else process.env.CHECKOUT_MOCK_FETCH_WAKEUP = wakeup;
  let broker: MockBroker;
  try {
    broker = await startMockBroker({ topics: [{ name: TOPIC, partitions: 3 }] });
  } finally {
    if (saved === undefined) delete process.env.CHECKOUT_MOCK_FETCH_WAKEUP;
    else process.env.CHECKOUT_MOCK_FETCH_WAKEUP = saved;
  }
  cleanups.push(() => broker.stop());
  return createKafkaClient({ clientId: 'fetch-wakeup', brokers: broker.brokers, logLevel: 'warn' }, recordingLogger());
}

/**
 * Time from each send to its delivery, for messages sent while the consumer's fetch is parked
 * (the consumer is idle, so its fetch is waiting on the broker when each message arrives).
 */
async function deliveryDelays(kafka: Kafka, topic = TOPIC): Promise<number[]> {
  const consumer = kafka.consumer({ groupId: uniqueGroupId('fetch-wakeup'), maxWaitTimeInMs: FETCH_WAIT_MS, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const producer = kafka.producer();
  cleanups.push(() => consumer.disconnect(), () => producer.disconnect());
  const received = new Map<string, number>();
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topics: [topic], fromBeginning: false });
  await consumer.run({ eachMessage: async ({ message }) => void received.set(message.value!.toString(), Date.now()) });
  while (!joined) await sleep(50);
  await sleep(1_000); // the first fetches are out and parked

  const delays: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    // Off the fetch's rhythm: an unpatched broker answers at its own deadline, whatever we do.
    await sleep(300 + Math.random() * 700);
    const value = `m${i}`;
    const sentAt = Date.now();
    await producer.send({ topic, messages: [{ key: value, value }] });
    while (!received.has(value) && Date.now() - sentAt < 2 * FETCH_WAIT_MS) await sleep(5);
    delays.push((received.get(value) ?? Number.POSITIVE_INFINITY) - sentAt);
  }
  return delays;
}

describe.skipIf(!onMock)('the broker answers a waiting fetch as soon as data arrives', () => {
  it('delivers each message within a fraction of the fetch wait, not at its end (the launcher\'s default)', async () => {
    // Unpatched (or switched off), each delay is spread over 0..3 s (the held empty fetch's
    // deadline); all five under 400 ms by luck ≈ (0.13)^5.
    const delays = await deliveryDelays(await brokerWith(undefined));
    console.info(`fetch wakeup: delivery delays ${delays.join(', ')} ms (fetch wait ${FETCH_WAIT_MS} ms)`);
    for (const d of delays) expect(d).toBeLessThan(400);
  }, 60_000);

  it('holds the fetch for its whole wait when switched off (CHECKOUT_MOCK_FETCH_WAKEUP=0)', async () => {
    const delays = await deliveryDelays(await brokerWith('0'));
    console.info(`fetch wakeup off: delivery delays ${delays.join(', ')} ms (fetch wait ${FETCH_WAIT_MS} ms)`);
    expect(Math.max(...delays)).toBeGreaterThan(400);
  }, 60_000);

  it('is built in, and refuses to build when an anchor is gone from the librdkafka source', async () => {
    const binary = await ensureMockBroker();
    expect((await readFile(binary)).includes(FETCH_WAKEUP_MARKER)).toBe(true);
    const patchedDir = join(dirname(binary), MOCK_BROKER_FILES.patchedDir);
    for (const patch of FETCH_WAKEUP_PATCHES) {
      const patched = await readFile(join(patchedDir, patch.file.split('/').pop() ?? ''), 'utf8');
      let pristine = patched;
      for (const text of FETCH_WAKEUP_INSERTS[patch.file] ?? []) pristine = pristine.replace(text, '');
      expect(pristine).not.toContain(FETCH_WAKEUP_MARKER);
      expect(applyPatch(patch, pristine)).toBe(patched);
      expect(() => applyPatch(patch, patched)).toThrow(PatchAnchorNotFoundError);
    }
    const [mockPatch, handlersPatch] = FETCH_WAKEUP_PATCHES;
    const pristineOf = async (file: string) => {
      let text = await readFile(join(patchedDir, file.split('/').pop() ?? ''), 'utf8');
      for (const t of FETCH_WAKEUP_INSERTS[file] ?? []) text = text.replace(t, '');
      return text;
    };
    const handlers = await pristineOf(handlersPatch!.file);
    expect(() => applyPatch(handlersPatch!, handlers.replace('resp->rkbuf_ts_retry = rd_clock() + (MaxWait * 1000);', 'resp->rkbuf_ts_retry = rd_clock() + MaxWait;'))).toThrow(PatchAnchorNotFoundError);
    const mock = await pristineOf(mockPatch!.file);
    expect(() => applyPatch(mockPatch!, mock.replace('rkbuf->rkbuf_ts_retry > now', 'rkbuf->rkbuf_ts_retry >= now'))).toThrow(PatchAnchorNotFoundError);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
