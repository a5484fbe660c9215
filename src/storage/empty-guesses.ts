/**
 * The orders whose next recovery starts empty without reading: an order being placed, guessed to
 * have no journal yet (see CassandraPersistenceEngine.assumeEmpty). Both journal engines keep
 * them the same way: the snapshot read is skipped while the guess stands, and the events read
 * takes it (the guess serves one recovery).
 */
export interface EmptyGuesses {
  /** Guesses `key` empty; returns how to withdraw the guess if no recovery took it. */
  assume(key: string): () => void;
  has(key: string): boolean;
  /** Whether `key` was guessed empty; the guess is used up. */
  take(key: string): boolean;
}

export function createEmptyGuesses(): EmptyGuesses {
  const keys = new Set<string>();
  return {
    assume(key) {
      keys.add(key);
      return () => { keys.delete(key); };
    },
    has: (key) => keys.has(key),
    take: (key) => keys.delete(key),
  };
}

/** The events of a journal guessed empty: none, without a read. */
export const noEvents = { reduce: async <U>(_cb: unknown, init: U): Promise<U> => init };
