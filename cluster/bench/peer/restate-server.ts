/**
 * One restate-server on this machine, on free ports (ingress, admin, node), its data in a fresh
 * folder, bound to this process (dies with it). Durability as it ships: the log's RocksDB WAL is
 * fsynced (`rocksdb-disable-wal-fsync = false`, the default; nothing here changes it).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts } from '../../local/cassandra/free-port.js';
import { spawnParentBound, type ParentBoundProcess } from '../../local/cassandra/parent-bound-process.js';

export interface RestateServer {
  process: ParentBoundProcess;
  ingressUrl: string;
  adminUrl: string;
  /** Registers the SDK endpoint at `uri` (POST /deployments); resolves once the admin accepted it. */
  register(uri: string): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRestateServer(opts: { binary: string; dir: string; log: (message: string) => void }): Promise<RestateServer> {
  await mkdir(opts.dir, { recursive: true });
  const [ingress, admin, node] = await freePorts('127.0.0.1', 3) as [number, number, number];
  const config = join(opts.dir, 'restate.toml');
  await writeFile(config, [
    'disable-telemetry = true',
    'log-filter = "warn"',
    'log-disable-ansi-codes = true',
    '[admin]', `bind-address = "127.0.0.1:${admin}"`,
    '[ingress]', `bind-address = "127.0.0.1:${ingress}"`, '',
  ].join('\n'));
  const proc = await spawnParentBound({
    command: opts.binary, outputFile: join(opts.dir, 'restate-server.log'), warn: opts.log,
    args: ['--config-file', config, '--base-dir', join(opts.dir, 'data'), '--bind-address', `127.0.0.1:${node}`,
      '--listen-mode', 'tcp', '--no-logo', '--node-name', 'bench-peer'],
  });
  const ingressUrl = `http://127.0.0.1:${ingress}`;
  const adminUrl = `http://127.0.0.1:${admin}`;
  try {
    await until(async () => (await fetch(`${adminUrl}/health`)).ok && (await fetch(`${ingressUrl}/restate/health`)).ok, 30_000, proc,
      `restate-server not healthy within 30 s (log: ${join(opts.dir, 'restate-server.log')})`);
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return {
    process: proc, ingressUrl, adminUrl,
    async register(uri) {
      let last = '';
      await until(async () => {
        const res = await fetch(`${adminUrl}/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uri, force: true }) });
        last = `${res.status} ${await res.text()}`;
        return res.ok;
      }, 20_000, proc, `registering ${uri} failed`).catch((err: unknown) => { throw new Error(`${(err as Error).message}: ${last}`); });
    },
    stop: () => proc.stop(10_000),
  };
}

async function until(check: () => Promise<boolean>, timeoutMs: number, proc: ParentBoundProcess, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exit()) throw new Error(`${message}: restate-server exited (${JSON.stringify(proc.exit())})`);
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(message);
}
