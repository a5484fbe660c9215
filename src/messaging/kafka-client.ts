import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type LogEntry, type RetryOptions, type SASLOptions } from 'kafkajs';
import type { Logger } from '../observability/logger.js';

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface KafkaClientConfig {
  clientId: string;
  /** host:port of one or more bootstrap brokers. */
  brokers: string[];
  /** Least severe kafkajs level forwarded to the logger; 'info' by default. */
  logLevel?: KafkaLogLevel;
  connectionTimeout?: number;
  requestTimeout?: number;
  /** Per-request retry policy; consumer crash recovery lives in resilient-consumer.ts. */
  retry?: Omit<RetryOptions, 'restartOnFailure'>;
  /** TLS to the brokers (`true`: the system's CAs). */
  ssl?: ConnectionOptions | true;
  sasl?: SASLOptions;
}

/**
 * kafkajs's defaults give up after ≈9 s of retrying; 8 retries capped at 30 s ride out a broker
 * restart or leader election (≈1 min) before an error reaches the caller.
 */
export const DEFAULT_KAFKA_RETRY: Required<Omit<RetryOptions, 'restartOnFailure'>> = {
  initialRetryTime: 300,
  maxRetryTime: 30_000,
  factor: 0.2,
  multiplier: 2,
  retries: 8,
};

const LEVELS: Record<KafkaLogLevel, logLevel> = {
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/** Builds the one kafkajs client a process shares between its producers, consumers and admin. */
export function createKafkaClient(config: KafkaClientConfig, logger: Logger): Kafka {
  if (config.brokers.length === 0) throw new Error('Kafka client needs at least one broker');
  for (const broker of config.brokers) {
    if (!/^[^\s:]+:\d+$/.test(broker)) throw new Error(`Kafka broker '${broker}' is not host:port`);
  }
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    // The default 1 s is tight on a loaded 2-core machine; a slow connect is not a dead broker.
    connectionTimeout: config.connectionTimeout ?? 3_000,
    requestTimeout: config.requestTimeout ?? 30_000,
    retry: { ...DEFAULT_KAFKA_RETRY, ...config.retry },
    logLevel: LEVELS[config.logLevel ?? 'info'],
    ...(config.ssl === undefined ? {} : { ssl: config.ssl }),
    ...(config.sasl === undefined ? {} : { sasl: config.sasl }),
    logCreator: () => (entry) => forward(logger, entry),
  });
}

/** Parses a KAFKA_BROKERS-style list: "host1:9092,host2:9092" (blanks ignored). */
export function parseBrokerList(list: string): string[] {
  return list
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}

function forward(logger: Logger, { namespace, level, log }: LogEntry): void {
  // timestamp and the kafkajs logger name are noise next to the host logger's own fields.
  const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
  const withSource = { ...fields, kafkajs: namespace };
  switch (level) {
    case logLevel.ERROR:
      return logger.error(withSource, message);
    case logLevel.WARN:
      return logger.warn(withSource, message);
    case logLevel.INFO:
      return logger.info(withSource, message);
    default:
      return logger.debug(withSource, message);
  }
}
