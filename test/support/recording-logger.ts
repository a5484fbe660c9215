import { pino } from 'pino';
import type { Logger } from '../../src/observability/logger.js';

export interface LogRecord {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

/** A real pino logger whose lines are kept in `records` (not printed), so tests stay quiet and can assert on logs. */
export function recordingLogger(): Logger & { records: LogRecord[]; messages(message: string): LogRecord[] } {
  const records: LogRecord[] = [];
  const destination = {
    write(line: string) {
      const { level, msg, ...fields } = JSON.parse(line) as { level: string; msg?: string } & Record<string, unknown>;
      records.push({ level, fields, message: msg ?? '' });
    },
  };
  const logger = pino({ level: 'debug', base: undefined, timestamp: false, formatters: { level: (label) => ({ level: label }) } }, destination);
  return Object.assign(logger, { records, messages: (message: string) => records.filter((r) => r.message === message) });
}
