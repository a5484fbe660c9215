import { pino, type Logger as PinoLogger } from 'pino';

/** The logging surface every module takes as a dependency (pino's, so child loggers carry context). */
export type Logger = Pick<PinoLogger, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'child' | 'level'>;

export function createLogger(opts: { level: string; nodeId?: string; name?: string }): Logger {
  const base: Record<string, string> = {};
  if (opts.nodeId) base.nodeId = opts.nodeId;
  if (opts.name) base.name = opts.name;
  return pino({ level: opts.level, base, timestamp: pino.stdTimeFunctions.isoTime });
}

/** For tests and tools that want no output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
