import type { TopicPartitions } from 'kafkajs';

/** The partitions a member owns, reported to `onChange` only when they really change. */
export interface AssignmentTracker {
  set(next: TopicPartitions[]): void;
  current(): TopicPartitions[];
}

export function createAssignmentTracker(onChange: (owned: TopicPartitions[]) => void): AssignmentTracker {
  let owned: TopicPartitions[] = [];
  return {
    set(next) {
      const normalized = normalizeAssignment(next);
      if (JSON.stringify(normalized) === JSON.stringify(owned)) return;
      owned = normalized;
      onChange(owned);
    },
    current: () => owned.map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions] })),
  };
}

/** Sorted, without empty entries, so two equal assignments compare equal. */
export function normalizeAssignment(assignment: TopicPartitions[]): TopicPartitions[] {
  return assignment
    .filter((tp) => tp.partitions.length > 0)
    .map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions].sort((a, b) => a - b) }))
    .sort((a, b) => a.topic.localeCompare(b.topic));
}
