/**
 * Why a local Cassandra could not be started. Each code maps to one thing the user can fix, so
 * callers (test setup, dev scripts) can print the message alone: the stack trace of a launcher
 * adds nothing to "install Java" or "that port is taken".
 */
export type CassandraLaunchErrorCode =
  | 'JAVA_MISSING'
  | 'PORT_IN_USE'
  | 'STARTUP_TIMEOUT'
  | 'JVM_EXITED'
  | 'INVALID_OPTION';

export class CassandraLaunchError extends Error {
  override readonly name = 'CassandraLaunchError';

  constructor(
    readonly code: CassandraLaunchErrorCode,
    message: string,
  ) {
    super(message);
    // Printed errors show `stack`; make it the message so reporters print one clear line.
    this.stack = `${this.name} [${code}]: ${message}`;
  }
}
