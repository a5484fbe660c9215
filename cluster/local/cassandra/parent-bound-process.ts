import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { promisify } from 'node:util';
import { findExecutable } from './find-executable.js';

const run = promisify(execFile);

/**
 * A child process that must not outlive this Node process.
 *
 * Two layers, because a JVM orphaned by a crashed test run keeps its ports and ~150 MB forever:
 * - Linux parent-death signal: the child is started through util-linux `setpriv --pdeathsig
 *   KILL`, which asks the kernel to SIGKILL it the moment the thread that spawned it dies, even
 *   when this process is itself SIGKILLed or crashes. No extra process, no polling. (Caveat of
 *   the kernel feature: "the thread that spawned it" — spawn from the main thread, or accept
 *   that the child dies with the worker thread that started it.)
 * - An `exit` handler that SIGKILLs it when this process exits normally (covers systems without
 *   `setpriv --pdeathsig`, where an abrupt death would still orphan it; a warning says so).
 */
export interface ParentBoundProcess {
  readonly pid: number;
  /** Resolves once the process has exited and been reaped. */
  readonly exited: Promise<ProcessExit>;
  /** Set once exited. */
  exit(): ProcessExit | undefined;
  /** SIGTERM, then SIGKILL if it is still running after `graceMs`; resolves when it is gone. */
  stop(graceMs: number): Promise<void>;
  /** SIGKILL; resolves when it is gone. */
  kill(): Promise<void>;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnParentBoundOptions {
  command: string;
  args: string[];
  /** The child's stdout and stderr are appended here (a file, not a pipe: it must not block or
   *  break when nobody reads it). */
  outputFile: string;
  env?: NodeJS.ProcessEnv;
  warn?: (message: string) => void;
}

export async function spawnParentBound(opts: SpawnParentBoundOptions): Promise<ParentBoundProcess> {
  const setpriv = await findPdeathsigSetpriv();
  if (setpriv === undefined) {
    opts.warn?.('setpriv --pdeathsig unavailable: the child survives if this process is killed abruptly');
  }
  const [command, args] =
    setpriv === undefined
      ? [opts.command, opts.args]
      : [setpriv, ['--pdeathsig', 'KILL', '--', opts.command, ...opts.args]];

  const out = openSync(opts.outputFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: ['ignore', out, out], env: opts.env ?? process.env });
  } finally {
    closeSync(out); // the child holds its own copy
  }
  const pid = await spawned(child);
  return track(child, pid);
}

function track(child: ChildProcess, pid: number): ParentBoundProcess {
  let exitInfo: ProcessExit | undefined;
  // Only a signal sent to an already-reaped child errors after spawn; 'exit' is the truth.
  child.on('error', () => undefined);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      process.off('exit', killOnExit);
      resolve(exitInfo);
    });
  });

  const kill = async (): Promise<void> => {
    if (exitInfo === undefined) child.kill('SIGKILL');
    await exited;
  };
  const stop = async (graceMs: number): Promise<void> => {
    if (exitInfo !== undefined) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (!gone) await kill();
  };
  return { pid, exited, exit: () => exitInfo, stop, kill };
}

function spawned(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => {
      child.off('error', reject);
      if (child.pid === undefined) reject(new Error('spawned process has no pid'));
      else resolve(child.pid);
    });
  });
}

/** setpriv from util-linux >= 2.33 (2018); older ones and non-Linux systems lack --pdeathsig. */
export async function findPdeathsigSetpriv(): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  const setpriv = await findExecutable('setpriv');
  if (setpriv === undefined) return undefined;
  try {
    const { stdout } = await run(setpriv, ['--help'], { timeout: 5_000 });
    return stdout.includes('--pdeathsig') ? setpriv : undefined;
  } catch {
    return undefined;
  }
}
