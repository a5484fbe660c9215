import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { runCommand } from './run-command.js';
import { applyPatch, MOCK_SOURCE_PATCHES } from './mock-source-patches.js';

/**
 * librdkafka (and its mock cluster) comes from the npm tarball of Confluent's JS client, the
 * only place the npm registry ships its C source. We only unpack it; installing it would build
 * a native addon we do not use.
 */
export const LIBRDKAFKA_SOURCE = {
  spec: '@confluentinc/kafka-javascript@1.10.1',
  tarball: 'confluentinc-kafka-javascript-1.10.1.tgz',
  librdkafkaVersion: '2.15.1',
  /** Pinned so a re-published or tampered tarball fails the build instead of changing it. */
  integrity: 'sha512-KVePUBn21EqCVP9mfxzEuM3SYJHHEF7X+iiC2e43QQgDSyEaksInmCGooT3w5q+cNAdkSCrK71j0ICfqoSqZLw==',
} as const;

/** --disable-ssl is the one that matters: otherwise the static link needs libssl. */
export const CONFIGURE_FLAGS = [
  '--disable-ssl',
  '--disable-gssapi',
  '--disable-curl',
  '--disable-zstd',
  '--disable-lz4-ext',
  '--disable-sasl',
  '--disable-regex-ext',
  '--enable-static',
] as const;

/** What a finished library directory holds; the launcher build only needs these. */
export const LIB_FILES = {
  archive: 'librdkafka.a',
  includeDir: 'include',
  headers: ['rdkafka.h', 'rdkafka_mock.h'],
  /** Each patched librdkafka source file, kept so tests can inspect what was built. */
  patchedDir: 'patched',
} as const;

export interface LibrdkafkaBuildOptions {
  /** Scratch directory, owned by this build. */
  workDir: string;
  /** Receives LIB_FILES; created. */
  outDir: string;
  npmCacheDir: string;
  log: (line: string) => void;
}

/** Fetches, patches and compiles librdkafka.a with the mock cluster. Takes ≈40 s on 2 cores. */
export async function buildPatchedLibrdkafka(opts: LibrdkafkaBuildOptions): Promise<void> {
  const { workDir, outDir, log } = opts;
  const logFile = join(workDir, 'build.log');
  const env = {
    ...process.env,
    // Keeps npm's cache inside node_modules/.cache instead of ~/.npm.
    npm_config_cache: opts.npmCacheDir,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };

  log(`  fetching ${LIBRDKAFKA_SOURCE.spec} (npm pack)`);
  await runCommand('npm', ['pack', LIBRDKAFKA_SOURCE.spec, '--pack-destination', workDir], { cwd: workDir, env, logFile });
  const tarball = join(workDir, LIBRDKAFKA_SOURCE.tarball);
  const integrity = 'sha512-' + createHash('sha512').update(await readFile(tarball)).digest('base64');
  if (integrity !== LIBRDKAFKA_SOURCE.integrity) {
    throw new Error(`${LIBRDKAFKA_SOURCE.spec}: tarball integrity ${integrity} != pinned ${LIBRDKAFKA_SOURCE.integrity}`);
  }
  await runCommand('tar', ['xzf', tarball, '-C', workDir, 'package/deps/librdkafka'], { logFile });
  const srcRoot = join(workDir, 'package', 'deps', 'librdkafka');
  await assertLibrdkafkaVersion(srcRoot);

  log('  configuring librdkafka');
  await runCommand('./configure', [...CONFIGURE_FLAGS], { cwd: srcRoot, logFile });

  await mkdir(join(outDir, LIB_FILES.patchedDir), { recursive: true });
  for (const patch of MOCK_SOURCE_PATCHES) {
    log(`  patching ${patch.file} (${patch.id})`);
    const file = join(srcRoot, patch.file);
    const patched = applyPatch(patch, await readFile(file, 'utf8'));
    await writeFile(file, patched);
    await writeFile(join(outDir, LIB_FILES.patchedDir, basename(patch.file)), patched);
  }

  const jobs = Math.max(2, availableParallelism());
  log(`  compiling librdkafka.a (make -j${jobs}, ~40 s on 2 cores)`);
  await runCommand('make', [`-j${jobs}`, '-C', 'src', LIB_FILES.archive], { cwd: srcRoot, logFile });

  await mkdir(join(outDir, LIB_FILES.includeDir), { recursive: true });
  await copyFile(join(srcRoot, 'src', LIB_FILES.archive), join(outDir, LIB_FILES.archive));
  for (const header of LIB_FILES.headers) {
    await copyFile(join(srcRoot, 'src', header), join(outDir, LIB_FILES.includeDir, header));
  }
}

/** The patches and the cache key assume this exact librdkafka; a different one must not slip in. */
async function assertLibrdkafkaVersion(srcRoot: string): Promise<void> {
  const header = await readFile(join(srcRoot, 'src', 'rdkafka.h'), 'utf8');
  const hex = /#define RD_KAFKA_VERSION\s+0x([0-9a-fA-F]{8})/.exec(header)?.[1];
  const found = hex ? [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.') : 'unknown';
  if (found !== LIBRDKAFKA_SOURCE.librdkafkaVersion) {
    throw new Error(`${LIBRDKAFKA_SOURCE.spec} ships librdkafka ${found}, expected ${LIBRDKAFKA_SOURCE.librdkafkaVersion}`);
  }
}
