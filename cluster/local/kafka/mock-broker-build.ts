import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildPatchedLibrdkafka, CONFIGURE_FLAGS, LIB_FILES, LIBRDKAFKA_SOURCE } from './librdkafka-build.js';
import { commandExists, runCommand } from './run-command.js';
import { MOCK_SOURCE_PATCHES, SYNCGROUP_PATCH_MARKER } from './mock-source-patches.js';

/** Files in a finished broker directory. */
export const MOCK_BROKER_FILES = {
  binary: 'mock-broker',
  /** The patched librdkafka source files the binary was built from, kept so tests can inspect them. */
  patchedDir: LIB_FILES.patchedDir,
} as const;

export interface EnsureMockBrokerOptions {
  /** Directory holding package.json and cluster/local/kafka/mock-broker.c; found from this file by default. */
  projectRoot?: string;
  /** Defaults to <projectRoot>/node_modules/.cache/checkout-kafka-mock. */
  cacheDir?: string;
  /** Progress lines; stderr by default (stdout may be a protocol, e.g. the broker's own). */
  log?: (line: string) => void;
  /** How long to wait for another process that is building the same broker. */
  waitForOtherBuildMs?: number;
}

const APT_HINT = 'apt-get install -y build-essential zlib1g-dev';
const LAUNCHER_CFLAGS = ['-O2', '-Wall', '-s'];
const LAUNCHER_LIBS = ['-lz', '-lm', '-ldl', '-lpthread'];
/** A lock older than this is abandoned even if its pid was reused by an unrelated process. */
const LOCK_MAX_AGE_MS = 30 * 60_000;

/**
 * Returns the path of the mock broker binary, building it the first time (≈45 s) and caching it
 * under a key of everything that goes into it: librdkafka version, configure flags, patches and
 * launcher source. The patched librdkafka.a is cached on its own, so editing the launcher only
 * costs a one-second relink.
 */
export async function ensureMockBroker(opts: EnsureMockBrokerOptions = {}): Promise<string> {
  const root = opts.projectRoot ?? findProjectRoot();
  const cacheDir = opts.cacheDir ?? join(root, 'node_modules', '.cache', 'checkout-kafka-mock');
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const launcherSource = join(root, 'cluster', 'local', 'kafka', 'mock-broker.c');

  const patches = MOCK_SOURCE_PATCHES.map((p) => [p.id, p.file, p.fingerprint]);
  const libKey = hash(JSON.stringify({ LIBRDKAFKA_SOURCE, CONFIGURE_FLAGS, patches }));
  const brokerKey = hash(JSON.stringify({ libKey, LAUNCHER_CFLAGS, LAUNCHER_LIBS }) + (await readFile(launcherSource, 'utf8')));
  const libDir = join(cacheDir, `librdkafka-${LIBRDKAFKA_SOURCE.librdkafkaVersion}-${libKey}`);
  const brokerDir = join(cacheDir, `broker-${brokerKey}`);
  const binary = join(brokerDir, MOCK_BROKER_FILES.binary);
  if (existsSync(binary)) return binary;

  await checkToolchain();
  await mkdir(cacheDir, { recursive: true });
  const release = await acquireBuildLock(join(cacheDir, '.lock'), () => existsSync(binary), opts.waitForOtherBuildMs ?? 10 * 60_000, log);
  if (!release) return binary; // another process finished it while we waited
  try {
    if (existsSync(binary)) return binary;
    const started = Date.now();
    await removeStaleScratchDirs(cacheDir);

    if (existsSync(join(libDir, LIB_FILES.archive))) {
      log('building Kafka mock broker launcher (patched librdkafka is cached)...');
    } else {
      log('building Kafka mock broker (once, ~45 s)...');
      const work = await mkdtemp(join(cacheDir, 'tmp-lib-'));
      const out = join(work, 'out');
      await buildPatchedLibrdkafka({ workDir: work, outDir: out, npmCacheDir: join(cacheDir, 'npm-cache'), log });
      await publish(out, libDir);
      await rm(work, { recursive: true, force: true });
    }

    log('  compiling the launcher');
    const work = await mkdtemp(join(cacheDir, 'tmp-broker-'));
    await runCommand('gcc', [
      ...LAUNCHER_CFLAGS,
      '-isystem',
      join(libDir, LIB_FILES.includeDir),
      '-o',
      join(work, MOCK_BROKER_FILES.binary),
      launcherSource,
      join(libDir, LIB_FILES.archive),
      ...LAUNCHER_LIBS,
    ]);
    await cp(join(libDir, LIB_FILES.patchedDir), join(work, MOCK_BROKER_FILES.patchedDir), { recursive: true });
    await assertContainsMarker(join(work, MOCK_BROKER_FILES.binary));
    await publish(work, brokerDir);
    await pruneOtherBuilds(cacheDir, [libDir, brokerDir]);
    log(`Kafka mock broker built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${binary}`);
    return binary;
  } finally {
    await release();
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Works from the TypeScript source (cluster/local/kafka) and from the compiled copy (dist/cluster/local/kafka). */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('mock broker build: no package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

async function checkToolchain(): Promise<void> {
  const missing: string[] = [];
  for (const tool of ['gcc', 'make', 'tar', 'npm']) {
    if (!(await commandExists(tool))) missing.push(tool);
  }
  if (missing.length === 0) {
    // A missing zlib1g-dev otherwise only shows up after 40 s of make, at link time.
    const probe = await mkdtemp(join(process.env.TMPDIR ?? '/tmp', 'zlib-probe-'));
    try {
      await writeFile(join(probe, 'z.c'), '#include <zlib.h>\nint main(void) { return zlibVersion() == 0; }\n');
      await runCommand('gcc', [join(probe, 'z.c'), '-lz', '-o', join(probe, 'z')]);
    } catch {
      missing.push('zlib (headers and library)');
    } finally {
      await rm(probe, { recursive: true, force: true });
    }
  }
  if (missing.length > 0) {
    throw new Error(`Building the Kafka mock broker needs ${missing.join(', ')}. Install with: ${APT_HINT}`);
  }
}

/** A directory rename is atomic: readers see no broker or a complete one, never half of one. */
async function publish(from: string, to: string): Promise<void> {
  await chmod(from, 0o755); // mkdtemp makes it private; the cache is shared like node_modules
  try {
    await rename(from, to);
  } catch (err) {
    // Someone else published the same key first (possible only if a stale lock was broken twice).
    if (!existsSync(to)) throw err;
    await rm(from, { recursive: true, force: true });
  }
}

async function assertContainsMarker(binary: string): Promise<void> {
  if (!(await readFile(binary)).includes(SYNCGROUP_PATCH_MARKER)) {
    throw new Error(`mock broker build: ${binary} lacks ${SYNCGROUP_PATCH_MARKER}; the SyncGroup patch did not make it in`);
  }
}

/** Old keys are never used again; a running broker keeps its (deleted) binary open regardless. */
async function pruneOtherBuilds(cacheDir: string, keep: string[]): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    const path = join(cacheDir, name);
    if (/^(librdkafka|broker)-/.test(name) && !keep.includes(path)) await rm(path, { recursive: true, force: true });
  }
}

async function removeStaleScratchDirs(cacheDir: string): Promise<void> {
  // Only called while holding the lock, so every scratch dir left is from a build that died.
  for (const name of await readdir(cacheDir)) {
    if (name.startsWith('tmp-')) await rm(join(cacheDir, name), { recursive: true, force: true });
  }
}

/**
 * mkdir is atomic, so the lock is a directory holding the owner's pid. Resolves with a release
 * function, or with undefined if `isDone` became true while waiting for another builder.
 */
async function acquireBuildLock(
  lockDir: string,
  isDone: () => boolean,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<(() => Promise<void>) | undefined> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, 'owner'), String(process.pid));
      return () => rm(lockDir, { recursive: true, force: true });
    } catch (err) {
      if (!(err instanceof Error && 'code' in err && err.code === 'EEXIST')) throw err;
    }
    if (isDone()) return undefined;
    if (await lockIsAbandoned(lockDir)) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for another Kafka mock broker build (lock ${lockDir})`);
    if (!announced) log(`waiting for another process building the Kafka mock broker (lock ${lockDir})...`);
    announced = true;
    await sleep(500);
  }
}

async function lockIsAbandoned(lockDir: string): Promise<boolean> {
  try {
    const age = Date.now() - (await stat(lockDir)).mtimeMs;
    if (age > LOCK_MAX_AGE_MS) return true;
    const owner = Number((await readFile(join(lockDir, 'owner'), 'utf8').catch(() => '')).trim());
    if (!owner) return age > 60_000; // the owner may be between mkdir and writing its pid
    process.kill(owner, 0);
    return false;
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? err.code : undefined;
    if (code === 'ENOENT') return false; // released meanwhile; the next mkdir decides
    return code === 'ESRCH'; // owner process is gone
  }
}
