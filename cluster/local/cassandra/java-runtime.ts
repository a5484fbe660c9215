import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { CassandraLaunchError } from './cassandra-launch-error.js';
import { renderJvmArgsFile } from './cassandra-config.js';
import { findExecutable } from './find-executable.js';

const run = promisify(execFile);

const INSTALL_JAVA_HINT = 'install it with: apt-get install -y openjdk-17-jre-headless';

export interface JavaLookup {
  /** A binary name looked up on PATH, or a path. Defaults to $JAVA_HOME/bin/java, else `java`. */
  javaBin?: string;
  env?: NodeJS.ProcessEnv;
}

/** The java executable to run Cassandra with, or a JAVA_MISSING error saying how to install one. */
export async function resolveJava({ javaBin, env = process.env }: JavaLookup = {}): Promise<string> {
  const wanted = javaBin ?? (env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java');
  const found = await findExecutable(wanted, env.PATH ?? '');
  if (found === undefined) {
    throw new CassandraLaunchError(
      'JAVA_MISSING',
      `Java not found (looked for "${wanted}"${wanted.includes('/') ? '' : ' on PATH'}); ` +
        `the local Cassandra needs a Java 17 runtime: ${INSTALL_JAVA_HINT}`,
    );
  }
  return found;
}

/**
 * Path of a JVM args file opening every java.base package to the unnamed module: Cassandra 2.1
 * (and its jamm agent) reflect into JDK internals that Java 17 closes by default. The package
 * list depends on the exact JDK, so it is asked from that JDK once and cached under `cacheDir`,
 * keyed by the binary's identity (`java --describe-module` costs ~150 ms per start otherwise).
 */
export async function javaBaseOpensArgsFile(java: string, cacheDir: string): Promise<string> {
  const real = await realpath(java);
  const { mtimeMs, size } = await stat(real);
  const key = createHash('sha1').update(`${real}\0${mtimeMs}\0${size}`).digest('hex').slice(0, 16);
  const file = path.join(cacheDir, `java-base-opens-${key}.args`);
  try {
    await readFile(file, 'utf8');
    return file;
  } catch {
    // Not cached yet.
  }
  const packages = await javaBasePackages(java);
  await mkdir(cacheDir, { recursive: true });
  // Write-then-rename: two launchers starting at once must never read a half-written file.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, renderJvmArgsFile(packages));
  await rename(tmp, file);
  return file;
}

async function javaBasePackages(java: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await run(java, ['--describe-module', 'java.base'], { timeout: 30_000 }));
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new CassandraLaunchError(
      'JAVA_MISSING',
      `"${java}" cannot describe module java.base (${reason}); a Java 11+ runtime is needed, ` +
        `Java 17 is tested: ${INSTALL_JAVA_HINT}`,
    );
  }
  const packages = stdout
    .split('\n')
    .map((line) => /^exports\s+(\S+)\s*$/.exec(line.trim())?.[1])
    .filter((pkg): pkg is string => pkg !== undefined);
  if (packages.length === 0) {
    throw new CassandraLaunchError('JAVA_MISSING', `"${java}" listed no java.base packages; ${INSTALL_JAVA_HINT}`);
  }
  return packages;
}
