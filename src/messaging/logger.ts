/**
 * The logging surface messaging code needs: pino's `(fields, message)` shape, so a pino logger
 * (or a child of one) can be passed straight in, and tests can pass a recorder.
 */
export type LogFn = (fields: Record<string, unknown>, message: string) => void;

export interface Logger {
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
}
