import type { Config } from '../config/config.js';

export interface TopicPlan { name: string; partitions: number }

/** The project's topics: commands sharded by order id, status events for every node's watchers, unreadable commands. */
export function plannedTopics(config: Pick<Config, 'KAFKA_COMMANDS_TOPIC' | 'KAFKA_EVENTS_TOPIC' | 'KAFKA_SANDBOX_COMMANDS_TOPIC' | 'KAFKA_COMMANDS_DLQ_TOPIC' | 'KAFKA_COMMAND_PARTITIONS'>): TopicPlan[] {
  return [
    { name: config.KAFKA_COMMANDS_TOPIC, partitions: config.KAFKA_COMMAND_PARTITIONS },
    { name: config.KAFKA_SANDBOX_COMMANDS_TOPIC, partitions: Math.max(1, Math.ceil(config.KAFKA_COMMAND_PARTITIONS / 4)) },
    { name: config.KAFKA_EVENTS_TOPIC, partitions: 6 },
    { name: config.KAFKA_COMMANDS_DLQ_TOPIC, partitions: 1 },
  ];
}
