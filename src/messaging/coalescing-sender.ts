import type { Message, Producer } from 'kafkajs';
import { retryOrThrow } from '../resilience/retry.js';
import type { Logger } from '../observability/logger.js';

/**
 * Sends to Kafka with one request in flight, coalescing everything submitted meanwhile into the
 * next request (in submission order, so per-key order holds). Idle, a message goes out at once;
 * under load, one request carries many messages instead of each waiting for its own round trip
 * behind the idempotent producer's single in-flight request. Every message resolves when Kafka
 * acknowledged its request (acks = -1), or rejects with the request's error.
 */
export interface CoalescingSender {
  send(topic: string, message: Message): Promise<void>;
  /** Waits until everything submitted so far was sent or given up. */
  flush(): Promise<void>;
}

export interface CoalescingSenderOptions {
  producer: Pick<Producer, 'sendBatch'>;
  logger: Logger;
  /** Messages per request (1 = a request per message). */
  maxBatch?: number;
  /** Attempts per request, with exponential backoff between them; 1 leaves retrying to the producer and the caller. */
  maxAttempts?: number;
  /** For the log line when a request is given up. */
  what: string;
}

/** Between attempts of one request (when maxAttempts > 1). */
const SEND_BACKOFF = { initialMs: 200, maxMs: 5_000 };

export function createCoalescingSender(opts: CoalescingSenderOptions): CoalescingSender {
  interface Pending { topic: string; message: Message; resolve(): void; reject(err: unknown): void }
  const maxBatch = opts.maxBatch ?? 500;
  const maxAttempts = opts.maxAttempts ?? 1;
  let queue: Pending[] = [];
  let draining: Promise<void> | undefined;

  const request = async (batch: readonly Pending[]) => {
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.message]);
    const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    const onAttemptFailed = (_attempt: number, err: unknown, willRetry: boolean) => {
      if (!willRetry) opts.logger.error({ messages: batch.length, err }, `could not send ${opts.what}`);
    };
    await retryOrThrow(() => opts.producer.sendBatch({ acks: -1, topicMessages }), { maxAttempts, backoff: SEND_BACKOFF }, { onAttemptFailed });
  };
  const drain = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        await request(batch);
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    draining = undefined;
  };
  return {
    send(topic, message) {
      // Stamped when submitted, not when the request leaves: a consumer measuring the hop from
      // this timestamp sees the time spent queued behind the request in flight too.
      const stamped = message.timestamp === undefined ? { ...message, timestamp: String(Date.now()) } : message;
      const sent = new Promise<void>((resolve, reject) => queue.push({ topic, message: stamped, resolve, reject }));
      sent.catch(() => undefined); // a caller may ignore the outcome
      draining ??= drain();
      return sent;
    },
    async flush() {
      while (draining) await draining;
    },
  };
}
