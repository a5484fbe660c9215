import type { Consumer, IHeaders, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutNode } from '../../cluster/checkout-node.js';
import type { CheckoutServiceClient } from '../../src/generated/checkout/v1/CheckoutService.js';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { startTestCluster, unary, type TestCluster } from '../support/checkout-cluster.js';
import { testKafkaClient, uniqueGroupId } from '../support/kafka.js';
import { placeRequest } from '../support/place-requests.js';
import { scrape, total } from '../support/prom-text.js';

interface DeadLetterSeen { value: string; headers: Record<string, string> }

const headerText = (headers: IHeaders | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));

/*
 * One shard (a single partition), so every order queues behind whatever comes first in it: a
 * command that can never be handled must go to the dead-letter topic, not block the shard.
 */
describe('a poison command on order-commands', () => {
  let cluster: TestCluster;
  let node: CheckoutNode;
  let client: CheckoutServiceClient;
  let producer: Producer;
  let dlqReader: Consumer;
  const deadLetters: DeadLetterSeen[] = [];
  beforeAll(async () => {
    cluster = await startTestCluster({ partitions: 1 });
    node = await cluster.startNode('poison-1');
    client = await cluster.client(node, 'c-poison');
    const { kafka } = testKafkaClient('poison-test');
    producer = kafka.producer();
    await producer.connect();
    dlqReader = kafka.consumer({ groupId: uniqueGroupId('dlq-reader'), maxWaitTimeInMs: 100, sessionTimeout: 6_000, heartbeatInterval: 500 });
    await dlqReader.connect();
    await dlqReader.subscribe({ topics: [cluster.env.KAFKA_COMMANDS_DLQ_TOPIC!], fromBeginning: true });
    await dlqReader.run({ eachMessage: async ({ message }) => { deadLetters.push({ value: message.value?.toString() ?? '', headers: headerText(message.headers) }); } });
  });
  afterAll(async () => {
    await dlqReader?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await cluster?.stop();
  });

  it('goes to the dead-letter topic with its reason, and the orders behind it in its shard complete', { timeout: 60_000 }, async () => {
    const onlyAnId = JSON.stringify({ v: 1, type: 'place', order: { orderId: 'o-poison-only-id' } });
    await producer.send({ topic: cluster.env.KAFKA_COMMANDS_TOPIC!, acks: -1, messages: [
      { key: 'o-poison-only-id', value: onlyAnId, partition: 0 },
      { key: 'o-poison-bytes', value: Buffer.from([0xde, 0xad, 0xbe, 0xef]), partition: 0 },
    ] });
    const placed = await unary<object, PlaceOrderResponse__Output>(client.placeOrder.bind(client), placeRequest('c-poison'));
    const getOrder = (orderId: string) => unary<object, { status: string }>(client.getOrder.bind(client), { orderId });
    await expect.poll(async () => (await getOrder(placed.orderId)).status, { timeout: 30_000, interval: 200 }).toBe('COMPLETED');

    await expect.poll(() => deadLetters.length, { timeout: 10_000 }).toBe(2);
    expect(deadLetters[0]).toMatchObject({ value: onlyAnId, headers: { 'dlq-reason': 'invalid_command', 'dlq-source-topic': cluster.env.KAFKA_COMMANDS_TOPIC, 'dlq-source-partition': '0' } });
    expect(deadLetters[0]!.headers['dlq-detail']).toMatch(/order\.consumerId/);
    expect(deadLetters[1]!.headers['dlq-reason']).toBe('not_json');

    const samples = await scrape(node.adminAddress);
    expect(total(samples, 'checkout_commands_dead_lettered_total', { reason: 'invalid_command' })).toBe(1);
    expect(total(samples, 'checkout_commands_dead_lettered_total', { reason: 'not_json' })).toBe(1);
  });
});
