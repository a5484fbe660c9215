import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProto } from 'grpc-health-check';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../../src/config/paths.js';

/** Every live descendant of `pid`, from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone already */ }
  }
  const found: number[] = [];
  const walk = (p: number) => { for (const [child, parent] of parents) if (parent === p) { found.push(child); walk(child); } };
  walk(pid);
  return found;
}
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

function healthCheck(address: string): Promise<string> {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: new (a: string, c: grpc.ChannelCredentials) => grpc.Client & { check(r: object, cb: (e: Error | null, r?: { status: string }) => void): void } } } };
  };
  const client = new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => client.check({ service: '' }, (e, r) => { client.close(); if (e) reject(e); else resolve(String(r?.status)); }));
}

describe('npm start', () => {
  it('brings up three serving nodes, runs the demo load, and leaves no process behind on Ctrl-C', { timeout: 180_000 }, async () => {
    // stdout is a pipe here: the demo load prints a progress line every few seconds, no bar.
    const launcher = spawn(process.execPath, [projectPath('dist/cluster/local/start-local.js')], {
      env: { ...process.env, LOG_LEVEL: 'warn', DEMO_RATE: '5', DEMO_FAULTS: 'payments.capture=0.1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => launcher.on('exit', (code) => r(code)));
    try {
      let out = '';
      launcher.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      launcher.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      const end = Date.now() + 120_000;
      while (!/Press Ctrl-C/.test(out) && Date.now() < end && launcher.exitCode === null) await new Promise((r) => setTimeout(r, 200));
      const address = /gRPC \(node-3\):\s+(\S+)/.exec(out)?.[1];
      expect(address, out).toBeDefined();
      expect(await healthCheck(address!)).toBe('SERVING');
      // The printed dashboard answers its API only to the printed admin token.
      const dashboard = /Dashboard:\s+(http:\/\/[\d.]+:\d+\/)/.exec(out)?.[1];
      const adminToken = /Admin token:\s+(\S+)/.exec(out)?.[1];
      expect(dashboard && adminToken, out).toBeTruthy();
      expect((await fetch(`${dashboard!}api/dashboard`)).status).toBe(401);
      expect((await fetch(`${dashboard!}api/dashboard`, { headers: { authorization: `Bearer ${adminToken!}` } })).status).toBe(200);
      expect(out).toMatch(/Demo load:\s+5 orders\/s, faults payments\.Capture=0\.1/);

      // The demo load's progress: some orders completed within a few progress lines.
      const completed = () => Math.max(0, ...[...out.matchAll(/^demo: .*completed (\d+)/gm)].map((m) => Number(m[1])));
      const until = Date.now() + 30_000;
      while (completed() === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
      expect(completed(), out).toBeGreaterThan(0);
      // Each order is watched on the node that accepted it, so none is lost to a NOT_FOUND race.
      expect([...out.matchAll(/^demo: .*errors (\d+)/gm)].map((m) => Number(m[1])).at(-1), out).toBe(0);
      expect(out).not.toMatch(/\x1b\[/); // no bar redraws when stdout is not a terminal

      const children = descendants(launcher.pid!);
      expect(children.length).toBeGreaterThanOrEqual(6); // Cassandra, the broker, the downstream services, three nodes
      launcher.kill('SIGINT');
      expect(await exited).toBe(0);
      await new Promise((r) => setTimeout(r, 500));
      expect(children.filter(alive)).toEqual([]);
    } finally {
      if (launcher.exitCode === null) launcher.kill('SIGKILL');
    }
  });
});
