import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { projectPath } from '../../src/config/paths.js';

describe('a Cassandra started by the launcher', () => {
  let holder: ChildProcess | undefined;
  let jvm: { pid: number; dataDir: string } | undefined;

  afterAll(async () => {
    holder?.kill('SIGKILL');
    if (jvm !== undefined) {
      if (await isAlive(jvm.pid)) process.kill(jvm.pid, 'SIGKILL');
      await waitUntil(async () => !(await isAlive(jvm!.pid)), 10_000);
      await rm(jvm.dataDir, { recursive: true, force: true });
    }
  });

  it('dies when the Node process that started it is killed with SIGKILL', async () => {
    // The fixture runs compiled (npm test builds first), as every child process of the tests does.
    holder = spawn(process.execPath, [projectPath('dist/test/cassandra/fixtures/hold-cassandra.js')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    jvm = await firstJsonLine(holder);
    expect(await isAlive(jvm.pid)).toBe(true);

    holder.kill('SIGKILL'); // no exit handler runs: only the kernel can still clean up

    expect(await waitUntil(async () => !(await isAlive(jvm!.pid)), 10_000)).toBe(true);
  });
});

function firstJsonLine(child: ChildProcess): Promise<{ pid: number; dataDir: string }> {
  return new Promise((resolve, reject) => {
    if (child.stdout === null) return reject(new Error('child has no stdout'));
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(JSON.parse(line) as { pid: number; dataDir: string }));
    child.once('exit', (code) => reject(new Error(`holder exited (code ${code}) before reporting Cassandra`)));
  });
}

/** Alive and not a zombie: an orphan killed by the kernel may linger unreaped in a container. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}
