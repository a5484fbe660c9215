import { describe, expect, it } from 'vitest';
import type { OrderView } from '../../src/domain/order-view.js';
import { createStatusPublisher } from '../../src/messaging/order-status-events.js';
import { recordingLogger } from '../support/recording-logger.js';

const view = (orderId: string, version: number) => ({ orderId, version, status: 'PLACED' }) as unknown as OrderView;

/** A producer whose sends complete when the test says so, recording what each carried. */
function controlledProducer(failFirst = 0) {
  const sends: string[][] = [];
  const release: Array<() => void> = [];
  let failures = failFirst;
  return {
    sends, release,
    producer: {
      sendBatch: async ({ topicMessages }: { topicMessages: Array<{ messages: Array<{ key: string; value: string }> }> }) => {
        sends.push(topicMessages.flatMap((t) => t.messages).map((m) => `${m.key}@${(JSON.parse(m.value) as OrderView).version}`));
        if (failures-- > 0) throw new Error('broker unavailable');
        await new Promise<void>((resolve) => release.push(resolve));
        return [];
      },
    },
  };
}

describe('the order status publisher', () => {
  it('sends a change at once, and everything published meanwhile together in the next send, in order', async () => {
    const p = controlledProducer();
    const publisher = createStatusPublisher({ producer: p.producer as never, topic: 't', logger: recordingLogger() });
    const first = publisher.publish(view('o-1', 1));
    const rest = [publisher.publish(view('o-2', 1)), publisher.publish(view('o-1', 2)), publisher.publish(view('o-3', 1))];
    await new Promise((r) => setTimeout(r, 10));
    expect(p.sends).toEqual([['o-1@1']]);
    p.release.shift()!();
    await first;
    await new Promise((r) => setTimeout(r, 10));
    expect(p.sends).toEqual([['o-1@1'], ['o-2@1', 'o-1@2', 'o-3@1']]);
    p.release.shift()!();
    await Promise.all(rest);
    await publisher.flush();
  });

  it('retries a failed send with the same changes, and resolves once Kafka took them', async () => {
    const p = controlledProducer(1);
    const publisher = createStatusPublisher({ producer: p.producer as never, topic: 't', logger: recordingLogger() });
    const sent = publisher.publish(view('o-1', 1));
    await new Promise((r) => setTimeout(r, 300));
    expect(p.sends).toEqual([['o-1@1'], ['o-1@1']]);
    p.release.shift()!();
    await expect(sent).resolves.toBeUndefined();
  });

  it('rejects the changes it gave up on, and keeps publishing later ones', async () => {
    const p = controlledProducer(2);
    const publisher = createStatusPublisher({ producer: p.producer as never, topic: 't', logger: recordingLogger(), maxAttempts: 2 });
    await expect(publisher.publish(view('o-1', 1))).rejects.toThrow('broker unavailable');
    const later = publisher.publish(view('o-2', 1));
    await new Promise((r) => setTimeout(r, 10));
    p.release.shift()!();
    await expect(later).resolves.toBeUndefined();
  });
});
