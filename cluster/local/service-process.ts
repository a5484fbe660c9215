import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { projectPath } from '../../src/config/paths.js';
import { findPdeathsigSetpriv } from './cassandra/parent-bound-process.js';

export interface ServiceProcessOptions {
  /** For messages: "node-1", "downstream". */
  name: string;
  /** Compiled entry, relative to the project root, e.g. `dist/cluster/node-main.js`. */
  entry: string;
  env: NodeJS.ProcessEnv;
  /** The JSON log line `msg` that says the service is ready (pino's `msg` field). */
  readyMessage: string;
  readyTimeoutMs?: number;
  /** Every output line also goes here (appended). */
  logFile?: string;
  nodeArgs?: string[];
  /** A command the process is started under, e.g. `ip netns exec <ns>` (it must exec, not fork). */
  commandPrefix?: string[];
}

export type LogLine = Record<string, unknown> & { msg?: string };

export interface ServiceProcess {
  name: string;
  pid: number;
  /** The ready line, parsed (addresses are in it). */
  ready: LogLine;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first JSON line matching `predicate` from now on. */
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
  onLine(listener: (line: LogLine) => void): () => void;
  /** SIGTERM, SIGKILL after graceMs; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
  kill(): Promise<void>;
  signal(sig: NodeJS.Signals): void;
}

/**
 * Starts one of the project's Node services as a child process that dies with this one (Linux
 * parent-death signal where available), and waits for its ready line.
 */
export async function startServiceProcess(opts: ServiceProcessOptions): Promise<ServiceProcess> {
  const setpriv = await findPdeathsigSetpriv();
  const nodeArgs = [...(opts.nodeArgs ?? []), '--enable-source-maps', projectPath(opts.entry)];
  const line = [...(opts.commandPrefix ?? []), ...(setpriv ? [setpriv, '--pdeathsig', 'KILL', '--'] : []), process.execPath, ...nodeArgs];
  const [command, ...args] = line as [string, ...string[]];
  const child: ChildProcess = spawn(command, args, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: WriteStream | undefined = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  const listeners = new Set<(line: LogLine) => void>();
  let tail: string[] = [];
  const onText = (text: string) => {
    log?.write(`${text}\n`);
    tail = [...tail.slice(-20), text];
    const parsed = parseJson(text);
    if (parsed) for (const l of listeners) l(parsed);
  };
  createInterface({ input: child.stdout! }).on('line', onText);
  createInterface({ input: child.stderr! }).on('line', onText);
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      log?.end();
      resolve({ code, signal });
    });
  });
  child.on('error', () => undefined);

  const onLine = (listener: (line: LogLine) => void) => { listeners.add(listener); return () => listeners.delete(listener); };
  const waitForLine = (predicate: (line: LogLine) => boolean, timeoutMs: number) => new Promise<LogLine>((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`${opts.name}: no matching line within ${timeoutMs} ms; last output:\n${tail.join('\n')}`)); }, timeoutMs);
    const off = onLine((line) => { if (predicate(line)) { clearTimeout(timer); off(); resolve(line); } });
    void exited.then(({ code, signal }) => { clearTimeout(timer); off(); reject(new Error(`${opts.name} exited (code ${code}, signal ${signal}) while waited on; last output:\n${tail.join('\n')}`)); });
  });
  const kill = async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); await exited; };
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  let ready: LogLine;
  try {
    ready = await waitForLine((l) => l.msg === opts.readyMessage, opts.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await kill();
    throw err;
  }
  return { name: opts.name, pid: child.pid!, ready, exited, waitForLine, onLine, stop, kill, signal: (sig) => child.kill(sig) };
}

function parseJson(text: string): LogLine | undefined {
  if (!text.startsWith('{')) return undefined;
  try { return JSON.parse(text) as LogLine; } catch { return undefined; }
}
