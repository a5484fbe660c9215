import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Runs one of the host's network tools (`ip`, `iptables`, `tc`); rejects with its stderr. */
export async function hostCommand(command: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, [...args], { timeout: 15_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** The same inside a network namespace. */
export const inNamespace = (ns: string, command: string, args: readonly string[]): Promise<string> =>
  hostCommand('ip', ['netns', 'exec', ns, command, ...args]);

/** For exit handlers, where nothing asynchronous runs any more; errors are ignored. */
export function hostCommandSync(command: string, args: readonly string[]): void {
  try { execFileSync(command, [...args], { stdio: 'ignore', timeout: 10_000 }); } catch { /* best effort */ }
}
