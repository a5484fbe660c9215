import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Full output goes here (build logs are long); the error only carries the tail. */
  logFile?: string;
}

export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly outputTail: string,
    logFile?: string,
  ) {
    super(
      `\`${command}\` failed (exit ${exitCode ?? 'signal'})` +
        (logFile ? `; full log: ${logFile}` : '') +
        (outputTail ? `\n--- last output ---\n${outputTail}` : ''),
    );
  }
}

const TAIL_BYTES = 4000;

/** Runs a command to completion; resolves with its (tail of) output, rejects if it fails. */
export function runCommand(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const shown = [cmd, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
    let tail = '';
    const keep = (chunk: Buffer): void => {
      log?.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => {
      log?.end();
      reject(err);
    });
    child.on('close', (code) => {
      const done = (): void =>
        code === 0 ? resolve(tail) : reject(new CommandFailedError(shown, code, tail.trim(), opts.logFile));
      if (log) log.end(done);
      else done();
    });
  });
}

/** True if `cmd` can be spawned at all (ENOENT means it is not installed). */
export async function commandExists(cmd: string, args: string[] = ['--version']): Promise<boolean> {
  try {
    await runCommand(cmd, args);
    return true;
  } catch (err) {
    return !(err instanceof Error && 'code' in err && err.code === 'ENOENT');
  }
}
