import type { Logger } from '../src/observability/logger.js';

/**
 * A rejection nobody handled or an exception nobody caught leaves the node in a state nobody
 * planned for: log it through pino (so it is in the node's structured log, with the error) and
 * exit non-zero, so the supervisor restarts the node and its shards move meanwhile.
 */
export function exitOnFatalErrors(proc: Pick<NodeJS.Process, 'on'>, logger: Pick<Logger, 'fatal'>, exit: (code: number) => void): void {
  proc.on('unhandledRejection', (reason: unknown) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection: exiting');
    exit(1);
  });
  proc.on('uncaughtException', (err: Error) => {
    logger.fatal({ err }, 'uncaught exception: exiting');
    exit(1);
  });
}
