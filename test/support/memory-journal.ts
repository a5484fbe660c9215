import { JournalConflictError, TransientError } from '../../src/domain/errors.js';
import { createEmptyGuesses, noEvents } from '../../src/storage/empty-guesses.js';
import type { PersistenceEngine, StoredEvent } from '../../src/storage/persistence-engine.js';

/** A stored event with the node that appended it. */
export interface MemoryRow { seq: number; writer: string; data: unknown }

/**
 * An in-memory journal for unit tests of actor logic (the Cassandra journal has its own tests):
 * one writer per position as the conditional append enforces it, and the two storage faults a cut
 * link produces: an append that lands though its writer hears a failure, and reads that fail.
 */
export interface MemoryJournal extends PersistenceEngine {
  assumeEmpty(key: string): () => void;
  rows(key: string): MemoryRow[];
  /** Appends the way another node would: the next free position, or refused if `seq` is taken. */
  appendAs(writer: string, key: string, data: unknown, seq?: number): void;
  /** The key's next append lands, and its writer is told it failed (a timed-out write). */
  landThenFail(key: string): void;
  /** While set, every read fails (the node cannot reach storage). */
  readsFail: boolean;
}

export function memoryJournal(writerId: string): MemoryJournal {
  const journals = new Map<string, MemoryRow[]>();
  const guesses = createEmptyGuesses();
  const landThenFail = new Set<string>();
  const rowsOf = (key: string) => journals.get(key) ?? journals.set(key, []).get(key)!;
  const append = (writer: string, key: string, seq: number, data: unknown) => {
    const rows = rowsOf(key);
    if (rows.some((r) => r.seq === seq)) throw new JournalConflictError(key, seq);
    rows.push({ seq, writer, data });
    rows.sort((a, b) => a.seq - b.seq);
  };
  const engine: MemoryJournal = {
    readsFail: false,
    assumeEmpty: (key) => guesses.assume(key),
    rows: (key) => [...rowsOf(key)],
    appendAs(writer, key, data, seq) { append(writer, key, seq ?? rowsOf(key).length + 1, data); },
    landThenFail(key) { landThenFail.add(key); },
    async persist(event: StoredEvent) {
      append(writerId, event.key, event.sequenceNumber, event.data);
      if (landThenFail.delete(event.key)) throw new TransientError(`append ${event.key}#${event.sequenceNumber} timed out`);
    },
    events(key: string, offset: number) {
      if (guesses.take(key)) return noEvents;
      return {
        async reduce<U>(cb: (acc: U, e: StoredEvent, index: number) => U, init: U): Promise<U> {
          if (engine.readsFail) throw new TransientError(`journal of ${key} unreachable`);
          let acc = init;
          rowsOf(key).filter((r) => r.seq > offset).forEach((r, i) => {
            acc = cb(acc, { data: r.data, sequenceNumber: r.seq, key, createdAt: 0, isDeleted: false, tags: [] }, i);
          });
          return acc;
        },
      };
    },
    latestSnapshot: async () => undefined,
    takeSnapshot: async () => undefined,
  };
  return engine;
}
