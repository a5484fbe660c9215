/**
 * The peer, installed on demand (never by `npm install`): `@restatedev/restate-server` and
 * `@restatedev/restate-sdk` at pinned versions, into `node_modules/.cache/restate-peer/<versions>/`
 * with `npm install --prefix`. A second run finds them there and installs nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectPath } from '../../../src/config/paths.js';

export const RESTATE_SERVER_VERSION = '1.7.12';
export const RESTATE_SDK_VERSION = '1.17.2';

export interface PeerInstall {
  /** The restate-server binary (the platform package's `bin/restate-server`). */
  serverBinary: string;
  /** The SDK's ESM entry, for a dynamic import. */
  sdkEntry: string;
  /** Whether this call installed it (false: found in the cache). */
  installed: boolean;
}

const run = promisify(execFile);

export async function ensurePeerInstalled(log: (message: string) => void): Promise<PeerInstall> {
  const dir = projectPath('node_modules', '.cache', 'restate-peer', `server-${RESTATE_SERVER_VERSION}-sdk-${RESTATE_SDK_VERSION}`);
  const paths = (root: string) => ({
    serverBinary: join(root, 'node_modules', '@restatedev', `restate-server-${platform()}-${arch()}`, 'bin', 'restate-server'),
    sdkEntry: join(root, 'node_modules', '@restatedev', 'restate-sdk', 'dist', 'index.js'),
  });
  const found = paths(dir);
  if (existsSync(found.serverBinary) && existsSync(found.sdkEntry)) return { ...found, installed: false };

  // Install into a scratch folder, then rename: an interrupted install never looks complete.
  const scratch = `${dir}.tmp-${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  await writeFile(join(scratch, 'package.json'), `${JSON.stringify({ name: 'restate-peer-cache', private: true })}\n`);
  log(`installing the peer: @restatedev/restate-server@${RESTATE_SERVER_VERSION} @restatedev/restate-sdk@${RESTATE_SDK_VERSION} into ${dir}`);
  try {
    // --ignore-scripts: the server package's only install script is a telemetry ping.
    await run('npm', ['install', '--prefix', scratch, '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock',
      `@restatedev/restate-server@${RESTATE_SERVER_VERSION}`, `@restatedev/restate-sdk@${RESTATE_SDK_VERSION}`], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw new Error(`npm install of the peer failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
  const got = paths(scratch);
  if (!existsSync(got.serverBinary)) {
    await rm(scratch, { recursive: true, force: true });
    throw new Error(`@restatedev/restate-server@${RESTATE_SERVER_VERSION} has no binary for ${platform()}-${arch()} (expected @restatedev/restate-server-${platform()}-${arch()})`);
  }
  await rm(dir, { recursive: true, force: true });
  await rename(scratch, dir);
  return { ...paths(dir), installed: true };
}
