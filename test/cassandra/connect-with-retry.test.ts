import net from 'node:net';
import type { Client } from 'cassandra-driver';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts } from '../../cluster/local/cassandra/free-port.js';
import { CassandraUnreachableError, connectWithRetry, createCassandraClient } from '../../src/storage/cassandra-client.js';
import { cassandraTestInfra } from '../support/cassandra.js';

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((resource) => resource.close()));
});

function clientFor(contactPoint: string): Client {
  const client = createCassandraClient({ contactPoints: [contactPoint], localDataCenter: 'datacenter1' });
  opened.push({ close: () => client.shutdown() });
  return client;
}

describe('connectWithRetry', () => {
  it('gives up with one message naming the contact point and CASSANDRA_CONTACT_POINTS when nothing listens', async () => {
    const [closedPort] = (await freePorts('127.0.0.1', 1)) as [number];
    const client = clientFor(`127.0.0.1:${closedPort}`);

    const failure = await connectWithRetry(client, { attempts: 2, backoff: { initialMs: 50, maxMs: 50 } }).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(CassandraUnreachableError);
    const { message, stack } = failure as CassandraUnreachableError;
    expect(message).toContain(`127.0.0.1:${closedPort}`);
    expect(message).toContain('ECONNREFUSED');
    expect(message).toContain('CASSANDRA_CONTACT_POINTS');
    expect(stack).not.toContain('\n');
  });

  it('connects once the cluster becomes reachable during its backoff', async () => {
    const [cassandraHost, cassandraPort] = splitHostPort(cassandraTestInfra().contactPoints[0] ?? '');
    const [proxyPort] = (await freePorts('127.0.0.1', 1)) as [number];
    const client = clientFor(`127.0.0.1:${proxyPort}`);
    // The "cluster" appears 300 ms into the retries: a TCP proxy to the shared Cassandra.
    const appear = delay(300).then(() => startProxy(proxyPort, cassandraHost, cassandraPort));

    await connectWithRetry(client, { attempts: 6, backoff: { initialMs: 100, maxMs: 400 } });
    await appear;
    const result = await client.execute('SELECT release_version FROM system.local', [], { prepare: false });

    expect(String(result.first().get('release_version'))).toMatch(/^\d+\.\d+/);
  });
});

async function startProxy(port: number, targetHost: string, targetPort: number): Promise<void> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(targetPort, targetHost);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  opened.push({
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}

function splitHostPort(contactPoint: string): [string, number] {
  const match = /^(.+):(\d+)$/.exec(contactPoint);
  if (match === null) throw new Error(`contact point without a port: "${contactPoint}"`);
  return [match[1] as string, Number(match[2])];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
