import type { Producer } from 'kafkajs';

/** A message that cannot be handled, with where it came from and why. */
export interface DeadLetter {
  sourceTopic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** A short fixed word (it labels a metric). */
  reason: string;
  /** What exactly was wrong, for whoever reads the dead-letter topic. */
  detail: string;
}

export interface DeadLetterSink {
  /** Resolves once the dead-letter topic has the message (acks = -1); rejects otherwise. */
  send(letter: DeadLetter): Promise<void>;
}

/**
 * Writes poison messages to a dead-letter topic, unchanged, with the reason and their origin in
 * headers (`dlq-reason`, `dlq-detail`, `dlq-source-topic`, `dlq-source-partition`,
 * `dlq-source-offset`), so their partition can move on without losing them.
 */
export function createDeadLetterSink(producer: Pick<Producer, 'send'>, topic: string): DeadLetterSink {
  return {
    async send(letter) {
      await producer.send({
        topic,
        acks: -1,
        messages: [{
          key: letter.key,
          value: letter.value,
          headers: {
            'dlq-reason': letter.reason,
            'dlq-detail': letter.detail,
            'dlq-source-topic': letter.sourceTopic,
            'dlq-source-partition': String(letter.partition),
            'dlq-source-offset': letter.offset,
          },
        }],
      });
    },
  };
}
