import type { Command } from 'commander';
import { createStatusCodec } from '../grpc/status-details.js';
import { callErrorReport, formatCallError } from './call-errors.js';
import { createCheckoutCli, type CheckoutCli } from './client.js';
import { resolveCredentials, type Credentials } from './credentials.js';

/** What a command writes to and reads from; the real process's in main.ts, buffers in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (progress bars) or a pipe (periodic summary lines). */
  isTTY: boolean;
  progressStream: NodeJS.WritableStream;
}

export interface GlobalOptions {
  address: string;
  token?: string;
  secret?: string;
  json: boolean;
  timeout: number;
}

/** A bad flag or argument: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const DEFAULT_ADDRESS = '127.0.0.1:50051';

/** host:port, or a UsageError naming the flag. */
export function parseAddress(value: string, flag = '--address'): string {
  const match = /^([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(value.trim());
  if (!match || Number(match[2]) > 65_535) throw new UsageError(`${flag} must be host:port, got "${value}"`);
  return value.trim();
}

export function parseNumber(value: string, flag: string, check: (n: number) => boolean, what: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`${flag} must be ${what}, got "${value}"`);
  return n;
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `20`, `20s`, `1.5m`, `500ms`, `1h` → milliseconds (a bare number is seconds); positive only. */
export function parseDurationMs(value: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  const ms = m ? Number(m[1]) * DURATION_UNITS_MS[m[2] ?? 's']! : Number.NaN;
  if (!(ms > 0)) throw new UsageError(`${flag} must be a positive duration such as 20, 20s, 2m or 500ms, got "${value}"`);
  return ms;
}

export function globalOptions(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals<{ address: string; token?: string; secret?: string; json?: boolean; timeout: string }>();
  return {
    address: parseAddress(o.address),
    token: o.token,
    secret: o.secret,
    json: Boolean(o.json),
    timeout: parseNumber(o.timeout, '--timeout', (n) => Number.isInteger(n) && n > 0, 'a positive number of milliseconds'),
  };
}

/** The per-command toolkit: options, credentials, a client (closed by `run`), output helpers. */
export interface CommandContext {
  io: CliIo;
  options: GlobalOptions;
  credentials: Credentials;
  client(): CheckoutCli;
  /** Writes `human` or, with --json, `data` as one JSON line. */
  print(human: string, data: unknown): void;
}

/**
 * Runs a command's body with its context and turns every failure into output and an exit code:
 * a gRPC error prints its status and details (exit 1), a usage error one line (exit 2).
 */
export async function runCommand(io: CliIo, cmd: Command, body: (ctx: CommandContext) => Promise<number | void>): Promise<number> {
  let client: CheckoutCli | undefined;
  let json = false;
  try {
    const options = globalOptions(cmd);
    json = options.json;
    const credentials = resolveCredentials({ token: options.token, secret: options.secret, env: io.env });
    const ctx: CommandContext = {
      io, options, credentials,
      client: () => (client ??= createCheckoutCli({ address: options.address, credentials, deadlineMs: options.timeout })),
      print: (human, data) => io.out(`${json ? JSON.stringify(data) : human}\n`),
    };
    return (await body(ctx)) ?? 0;
  } catch (err) {
    return reportFailure(io, err, json);
  } finally {
    client?.close();
  }
}

let codec: ReturnType<typeof createStatusCodec> | undefined;

export function reportFailure(io: CliIo, err: unknown, json: boolean): number {
  const report = callErrorReport(err, (codec ??= createStatusCodec()));
  if (report) {
    io.err(`${json ? JSON.stringify({ error: report }) : formatCallError(report).join('\n')}\n`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.err(`${json ? JSON.stringify({ error: { message } }) : `error: ${message}`}\n`);
  return err instanceof UsageError || err instanceof RangeError ? 2 : 1;
}
