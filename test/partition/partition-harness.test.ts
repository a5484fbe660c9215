import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hostCommand } from '../../cluster/local/partition/host-command.js';
import { ownerPidOfTag, sweepDeadRuns } from '../../cluster/local/partition/partition-network.js';
import { projectPath } from '../../src/config/paths.js';

const run = promisify(execFile);

/** A pid no process has: above the kernel's pid_max. */
const DEAD_PID = 4_194_305;

describe('the partition harness itself', () => {
  it('reads the owner pid from a run\'s tag also when the pid written in base 36 holds an x', () => {
    const pid = 33 * 36 * 36 + 33 * 36 + 4; // "xx4" in base 36
    expect(ownerPidOfTag(`${pid.toString(36)}x7`)).toBe(pid);
    expect(ownerPidOfTag(`${process.pid.toString(36)}x12`)).toBe(process.pid);
  });

  it('sweeps the namespaces and links a dead run left behind, and nothing of a live one', async () => {
    const dead = `cpns-${DEAD_PID.toString(36)}x1-node-1`;
    const deadLink = `cpb${DEAD_PID.toString(36)}x1`;
    const live = `cpns-${process.pid.toString(36)}x99-node-1`;
    try {
      await hostCommand('ip', ['netns', 'add', dead]);
      await hostCommand('ip', ['link', 'add', deadLink, 'type', 'bridge']);
      await hostCommand('ip', ['netns', 'add', live]);
      const swept = await sweepDeadRuns();
      expect(swept).toEqual(expect.arrayContaining([dead, deadLink]));
      expect(swept).not.toContain(live);
      const left = await hostCommand('ip', ['netns', 'list']);
      expect(left).not.toContain(dead);
      expect(left).toContain(live);
    } finally {
      for (const ns of [dead, live]) await hostCommand('ip', ['netns', 'del', ns]).catch(() => undefined);
      await hostCommand('ip', ['link', 'del', deadLink]).catch(() => undefined);
    }
  });

  it('refuses in one line, saying what to do, where namespaces are not permitted (an unprivileged user)', async () => {
    const module = projectPath('dist', 'cluster', 'local', 'partition', 'partition-network.js');
    const script = `import(${JSON.stringify(module)}).then((m) => m.checkPartitionPrerequisites()).then(() => console.log('permitted'), (e) => { console.log(e.message); process.exit(3); })`;
    const answer = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, '-e', script]).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
    );
    expect(answer.code).toBe(3);
    const lines = answer.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^partition harness: network namespaces are not permitted here .*run as root/);
  });
});
