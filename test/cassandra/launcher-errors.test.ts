import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CassandraLaunchError } from '../../cluster/local/cassandra/cassandra-launch-error.js';
import { startCassandra } from '../../cluster/local/cassandra/cassandra-launcher.js';
import { freePorts } from '../../cluster/local/cassandra/free-port.js';

/** Each case fails before a JVM is started; a launcher that got this far would start one, so
 *  anything it starts by mistake is stopped here. */
const startedByMistake: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(startedByMistake.splice(0).map((instance) => instance.stop()));
});

async function launchError(opts: Parameters<typeof startCassandra>[0]): Promise<CassandraLaunchError> {
  try {
    startedByMistake.push(await startCassandra(opts));
  } catch (err) {
    if (err instanceof CassandraLaunchError) return err;
    throw err;
  }
  throw new Error('startCassandra succeeded where it should have failed');
}

describe('the Cassandra launcher', () => {
  it.each([
    ['java is not on PATH', { env: { ...process.env, PATH: '/nonexistent', JAVA_HOME: '' } }],
    ['the named java binary does not exist', { javaBin: '/nonexistent/jdk/bin/java' }],
  ])('says how to install Java when %s', async (_case, opts) => {
    const err = await launchError(opts);

    expect(err.code).toBe('JAVA_MISSING');
    expect(err.message).toContain('apt-get install -y openjdk-17-jre-headless');
    expect(err.stack).not.toContain('\n');
  });

  it('refuses a CQL port that is already in use, naming it in one line', async () => {
    const [port] = (await freePorts('127.0.0.1', 1)) as [number];
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const err = await launchError({ port });

      expect(err.code).toBe('PORT_IN_USE');
      expect(err.message).toContain(`127.0.0.1:${port}`);
      expect(err.message).toContain('already in use');
      expect(err.stack).not.toContain('\n');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('gives up at its startup deadline with a one-line message naming its log, leaving no JVM behind', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cassandra-timeout-'));
    try {
      const err = await launchError({ dataDir, startupTimeoutMs: 1 });

      expect(err.code).toBe('STARTUP_TIMEOUT');
      expect(err.message).toContain(path.join(dataDir, 'logs', 'system.log'));
      expect(err.stack).not.toContain('\n');
      expect(await processesMentioning(dataDir)).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

/** Pids of live processes whose command line contains `text` (Linux /proc). */
async function processesMentioning(text: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const matches = await Promise.all(
    pids.map(async (pid) => {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      return cmdline.includes(text) ? Number(pid) : undefined;
    }),
  );
  return matches.filter((pid): pid is number => pid !== undefined);
}
