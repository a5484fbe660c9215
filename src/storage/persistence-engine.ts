/*
 * nact's persistence engine contract, as nact 7.6 calls it: `events(key, snapshotSeq)` must
 * return events with seq > offset, ascending (nact neither filters nor sorts), through something
 * that only needs `reduce`. It lives with storage, its lowest user; the actor wrapper imports it.
 */

export interface StoredEvent { data: unknown; sequenceNumber: number; key: string; createdAt: number; isDeleted: boolean; tags: string[] }
export interface StoredSnapshot { data: unknown; sequenceNumber: number; key: string; createdAt: number }

export interface PersistenceEngine {
  events(key: string, offset: number): { reduce<U>(cb: (acc: U, e: StoredEvent, index: number) => U, init: U): Promise<U> };
  latestSnapshot(key: string): Promise<StoredSnapshot | undefined>;
  takeSnapshot(snapshot: StoredSnapshot): Promise<void>;
  persist(event: StoredEvent): Promise<void>;
}
