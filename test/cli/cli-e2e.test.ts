import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectPath } from '../../src/config/paths.js';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';

interface Run { code: number | null; stdout: string; stderr: string }

describe('the compiled checkout CLI against a process cluster', () => {
  let pc: ProcessCluster;
  let env: NodeJS.ProcessEnv;

  /** `node dist/src/cli/main.js …args`, talking to the cluster's node through env vars. */
  const cli = (...args: string[]): Promise<Run> => cliInterrupted(undefined, ...args);
  /** The same, sent SIGINT after `interruptAfterMs` if given. */
  const cliInterrupted = (interruptAfterMs: number | undefined, ...args: string[]): Promise<Run> => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [projectPath('dist/src/cli/main.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    if (interruptAfterMs !== undefined) setTimeout(() => child.kill('SIGINT'), interruptAfterMs);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });

  beforeAll(async () => {
    pc = await startProcessCluster({ nodes: 1, partitions: 3 });
    env = { ...process.env, CHECKOUT_ADDRESS: pc.cluster.nodes[0]!.grpcAddress!, AUTH_SECRET: pc.cluster.config.AUTH_SECRET, CHECKOUT_TOKEN: '' };
  });
  afterAll(async () => { await pc?.stop(); });

  let orderId: string;

  it('place, then watch to the end, then get shows the same terminal status', async () => {
    const placed = await cli('--json', 'place', '--consumer', 'c-cli', '--items', 'm-2-item-1:1,m-2-item-3:2', '--merchant', 'm-2');
    expect(placed.code, placed.stderr).toBe(0);
    orderId = (JSON.parse(placed.stdout) as { orderId: string }).orderId;
    expect(orderId).toMatch(/^o-/);

    const watched = await cli('watch', orderId);
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(new RegExp(`${orderId}\\s+COMPLETED`));

    const got = await cli('--json', 'get', orderId);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ orderId, status: 'COMPLETED', consumerId: 'c-cli', merchantId: 'm-2' });
    const human = await cli('get', orderId);
    expect(human.stdout).toMatch(/2 × .*\(m-2-item-3\)/);
  });

  it('cancel of a finished order says there is nothing to cancel', async () => {
    const cancelled = await cli('cancel', orderId);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`${orderId} already finished (COMPLETED): nothing to cancel`);
  });

  it('a bad request exits non-zero and prints the status and the field violation', async () => {
    const bad = await cli('place', '--consumer', 'c-cli', '--items', 'm-1-item-1:0');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: INVALID_ARGUMENT: /);
    expect(bad.stderr).toMatch(/^ {2}field lines\[0\]\.quantity: .+$/m);
  });

  it('load at 10/s for 3 s with a fault mix prints outcomes and ack and end-to-end percentiles', async () => {
    const run = await cli('load', '--rate', '10', '--duration', '3', '--consumers', '3',
      '--faults', 'payments.capture=0.3', '--downstream', pc.cluster.downstreamAddress, '--downstream-secret', pc.cluster.downstreamAdminSecret);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/faults: payments\.Capture=0\.3/);
    const completed = Number(/^COMPLETED\s+(\d+)/m.exec(run.stdout)?.[1]);
    expect(completed, run.stdout).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/^ack \(PlaceOrder answered\)\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s*$/m);
    expect(run.stdout).toMatch(/^end to end \(terminal status\)\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s*$/m);
    // The mix was in force: captures failed and were retried (P(no fault in 30 captures) ≈ 2e-5).
    const { calls } = await pc.downstream.admin.getLedger({});
    expect(Number(calls['payments.Capture'])).toBeGreaterThan(completed + 1);
  });

  it('a load interrupted with Ctrl-C prints the summary of what it sent and exits at once', async () => {
    const started = Date.now();
    const run = await cliInterrupted(2_000, 'load', '--rate', '10', '--duration', '60');
    expect(run.code, run.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(Number(/^COMPLETED\s+(\d+)/m.exec(run.stdout)?.[1]), run.stdout).toBeGreaterThan(0);
  });
});
