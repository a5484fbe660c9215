import net from 'node:net';
import { createCassandraClient } from '../../../src/storage/cassandra-client.js';

export type CqlReadiness<Reason extends string> =
  | { status: 'ready'; releaseVersion: string }
  | { status: 'gave-up'; reason: Reason | 'deadline'; lastError?: string };

export interface WaitForCqlOptions<Reason extends string> {
  host: string;
  port: number;
  deadline: number;
  /** A login, for a Cassandra with PasswordAuthenticator. */
  credentials?: { username: string; password: string };
  /** Asked between probes: a reason to stop waiting early (the JVM died, the port is taken). */
  hopeless: () => Promise<Reason | undefined>;
}

/**
 * Waits until a CQL query succeeds. A listening port alone is not enough: the driver handshake
 * and a read of system.local prove the node serves requests (and that the listener is ours).
 * Cheap TCP probes come first so the driver is only set up once something listens.
 */
export async function waitForCql<Reason extends string>(opts: WaitForCqlOptions<Reason>): Promise<CqlReadiness<Reason>> {
  const { host, port, deadline } = opts;
  let lastError: string | undefined;
  while (true) {
    const reason = await opts.hopeless();
    if (reason !== undefined) return { status: 'gave-up', reason, lastError };
    if (Date.now() >= deadline) return { status: 'gave-up', reason: 'deadline', lastError };
    if (await tcpAccepts(host, port, 1_000)) {
      try {
        return { status: 'ready', releaseVersion: await queryReleaseVersion(host, port, opts.credentials) };
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
    } else {
      lastError = `nothing accepts connections on ${host}:${port}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function queryReleaseVersion(host: string, port: number, credentials?: { username: string; password: string }): Promise<string> {
  const client = createCassandraClient({
    contactPoints: [`${host}:${port}`],
    localDataCenter: 'datacenter1',
    ...(credentials ? { credentials } : {}),
    // Short: a listener that is not Cassandra never answers the handshake, and the caller
    // wants to re-check whether to keep waiting.
    timeouts: { connectMs: 2_000, requestMs: 5_000 },
  });
  try {
    await client.connect();
    const result = await client.execute('SELECT release_version FROM system.local', [], { prepare: false });
    return String(result.first()?.get('release_version'));
  } finally {
    await client.shutdown();
  }
}

function tcpAccepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
