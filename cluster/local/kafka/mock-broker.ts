import { spawn, type ChildProcess } from 'node:child_process';
import { ensureMockBroker } from './mock-broker-build.js';
import { createMockTopic } from './mock-control.js';

export { createMockTopic } from './mock-control.js';

/**
 * Starts librdkafka's mock cluster (see mock-broker.c) as a child process: a real Kafka-protocol
 * broker for tests and local development, in memory only, replication factor 1. Nothing in
 * src/ knows about it; services reach it through the same bootstrap list a real cluster has.
 */

export interface MockTopic {
  name: string;
  partitions: number;
}

export interface StartMockBrokerOptions {
  topics?: MockTopic[];
  /** Number of brokers in the mock cluster (ids 1..n); 1 by default. */
  brokers?: number;
  /** Prebuilt binary; built or taken from the cache by default. */
  binary?: string;
  startupTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL in stop(). */
  stopGraceMs?: number;
  /** IPv4 address the brokers listen on and advertise (default 127.0.0.1); the control port stays on loopback. */
  bindAddress?: string;
}

export interface MockBroker {
  /** Comma-separated, as printed by the broker. */
  bootstrap: string;
  brokers: string[];
  controlAddress: string;
  pid: number;
  createTopic(name: string, partitions: number): Promise<void>;
  /** SIGTERM, then SIGKILL after the grace period; resolves once the process has exited. */
  stop(): Promise<void>;
}

const STDERR_TAIL = 8_000;

export async function startMockBroker(opts: StartMockBrokerOptions = {}): Promise<MockBroker> {
  const binary = opts.binary ?? (await ensureMockBroker());
  const topics = opts.topics ?? [];
  for (const t of topics) {
    if (t.name.includes(':') || !Number.isInteger(t.partitions) || t.partitions < 1) {
      throw new Error(`invalid mock topic ${JSON.stringify(t)}`);
    }
  }
  const args = ['--exit-on-stdin-eof', String(opts.brokers ?? 1), ...topics.map((t) => `${t.name}:${t.partitions}`)];
  // stdin stays an open pipe: if this process dies without calling stop(), the broker sees EOF
  // and exits instead of lingering as an orphan.
  // The fetch wakeup (fetch-wakeup-patch.ts) is on unless CHECKOUT_MOCK_FETCH_WAKEUP=0 (A/B runs).
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKOUT_MOCK_FETCH_WAKEUP: process.env.CHECKOUT_MOCK_FETCH_WAKEUP ?? '1' };
  if (opts.bindAddress) env.CHECKOUT_MOCK_BROKER_BIND = opts.bindAddress;
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], env });

  let stderrTail = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const { bootstrap, controlAddress } = await readStartupLines(child, opts.startupTimeoutMs ?? 10_000, () => stderrTail).catch(
    async (err: unknown) => {
      child.kill('SIGKILL');
      await exited;
      throw err;
    },
  );
  // Keep draining stdout so a chatty broker never blocks on a full pipe.
  child.stdout.resume();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= terminate(child, exited, opts.stopGraceMs ?? 3_000);
    return stopping;
  };

  return {
    bootstrap,
    brokers: bootstrap.split(',').filter(Boolean),
    controlAddress,
    pid: child.pid ?? -1,
    createTopic: (name, partitions) => createMockTopic(controlAddress, name, partitions),
    stop,
  };
}

function readStartupLines(
  child: ChildProcess,
  timeoutMs: number,
  stderr: () => string,
): Promise<{ bootstrap: string; controlAddress: string }> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let bootstrap: string | undefined;
    const finish = (err?: Error, result?: { bootstrap: string; controlAddress: string }): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      if (err) reject(err);
      else if (result) resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        const [kind, value] = line.split(' ', 2);
        if (kind === 'BOOTSTRAP' && value) bootstrap = value;
        if (kind === 'CONTROL' && value && bootstrap) return finish(undefined, { bootstrap, controlAddress: value });
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      finish(new Error(`mock broker exited during startup (${signal ?? `exit ${code}`}):\n${stderr().trim()}`));
    const onError = (err: Error): void => finish(new Error(`mock broker failed to start: ${err.message}`));
    const timer = setTimeout(
      () => finish(new Error(`mock broker printed no BOOTSTRAP/CONTROL lines within ${timeoutMs} ms:\n${stderr().trim()}`)),
      timeoutMs,
    );
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

async function terminate(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
  if ((await Promise.race([exited.then(() => 'exited' as const), graceOver])) === 'timeout') child.kill('SIGKILL');
  clearTimeout(timer);
  await exited;
}
