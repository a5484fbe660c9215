import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../../src/config/paths.js';
import { createDownstreamClients } from '../../src/clients/downstream-clients.js';

const entry = projectPath('dist', 'cluster', 'local', 'downstream', 'downstream-main.js');

function readyLine(child: ChildProcess, timeoutMs: number): Promise<{ address: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "downstream ready" line in time')), timeoutMs);
    child.once('exit', (code) => reject(new Error(`downstream-main exited early with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { msg?: string; address?: string };
        if (parsed.msg === 'downstream ready' && parsed.address) {
          clearTimeout(timer);
          resolve({ address: parsed.address });
        }
      } catch {
        // Not every line need be JSON; only the ready line matters here.
      }
    });
  });
}

describe('the downstream-main process', () => {
  it('announces its address, answers calls, and exits 0 on SIGTERM', async () => {
    expect(existsSync(entry), `${entry} is missing: run npx tsc -p tsconfig.json first`).toBe(true);
    const child = spawn(process.execPath, [entry], {
      env: { ...process.env, DOWNSTREAM_ADMIN_SECRET: 'downstream-main-test-secret', DOWNSTREAM_PORT: '0', DOWNSTREAM_LATENCY: '[{"target":"catalog.*","fixedMs":5}]', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      const { address } = await readyLine(child, 15_000);
      const clients = createDownstreamClients(address);
      try {
        const merchant = await clients.catalog.getMerchant({ merchantId: 'm-1' });
        expect(merchant).toMatchObject({ merchantId: 'm-1', found: true, open: true });
      } finally {
        clients.close();
      }
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
