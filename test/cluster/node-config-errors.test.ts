import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_AUTH_SECRET } from '../../src/config/config.js';
import { projectPath } from '../../src/config/paths.js';
import { cassandraTestInfra } from '../support/cassandra.js';
import { kafkaTestInfra } from '../support/kafka.js';

/** Runs a node process to its exit; returns its exit code and what it wrote to stderr. */
function runNode(env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [projectPath('dist/cluster/node-main.js')], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`node did not exit; stderr: ${stderr}`)); }, timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stderr, stdout }); });
  });
}

const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
};

describe('a node started with bad configuration', () => {
  let good: Record<string, string>;
  let held: Server;
  let heldPort: number;
  beforeAll(async () => {
    good = { CASSANDRA_CONTACT_POINTS: cassandraTestInfra().contactPoints.join(','), KAFKA_BROKERS: kafkaTestInfra().brokers.join(','), DOWNSTREAM_ADDRESS: '127.0.0.1:1', AUTH_SECRET: 'node-config-errors-secret-0123456789abcdef' };
    held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    heldPort = (held.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => held.close(() => r())));

  const expectOneClearLine = (stderr: string, pattern: RegExp) => {
    const lines = stderr.trim().split('\n');
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  };

  it('names every invalid variable and exits', async () => {
    const { code, stderr } = await runNode({ KAFKA_BROKERS: 'not a broker', GRPC_PORT: 'abc' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/CASSANDRA_CONTACT_POINTS: is required/);
    expect(stderr).toMatch(/KAFKA_BROKERS: expected host:port \(item 1\)/);
    expect(stderr).toMatch(/GRPC_PORT/);
  });

  it('refuses to start without AUTH_SECRET outside dev mode, naming the variable', async () => {
    const { AUTH_SECRET: _unset, ...withoutSecret } = good;
    const { code, stderr } = await runNode(withoutSecret);
    expect(code).toBe(2);
    expect(stderr).toMatch(/AUTH_SECRET: is required/);
  });

  it('refuses the public dev secret outside dev mode', async () => {
    const { code, stderr } = await runNode({ ...good, AUTH_SECRET: DEV_AUTH_SECRET });
    expect(code).toBe(2);
    expect(stderr).toMatch(/AUTH_SECRET: is the public dev secret/);
  });

  it('in dev mode starts with the dev secret and logs a warning saying so', async () => {
    const { AUTH_SECRET: _unset, ...withoutSecret } = good;
    // Cassandra unreachable: the node gets past its configuration, warns, then stops quickly.
    const { stdout } = await runNode({ ...withoutSecret, CHECKOUT_DEV_MODE: 'true', LOG_LEVEL: 'warn', CASSANDRA_CONTACT_POINTS: `127.0.0.1:${await closedPort()}` });
    const warning = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; devSecret?: boolean })
      .find((l) => /CHECKOUT_DEV_MODE/.test(l.msg));
    expect(warning).toMatchObject({ level: 40, devSecret: true });
  });

  it('says Cassandra is unreachable and how to point at one', async () => {
    const { code, stderr } = await runNode({ ...good, CASSANDRA_CONTACT_POINTS: `127.0.0.1:${await closedPort()}` });
    expect(code).toBe(1);
    expectOneClearLine(stderr, /Cannot reach Cassandra at 127\.0\.0\.1:\d+.*CASSANDRA_CONTACT_POINTS/);
  });

  it('says Kafka is unreachable and how to point at one', async () => {
    const { code, stderr } = await runNode({ ...good, KAFKA_BROKERS: `127.0.0.1:${await closedPort()}`, KAFKA_CONNECT_TIMEOUT_MS: '3000' });
    expect(code).toBe(1);
    expectOneClearLine(stderr, /Cannot reach Kafka at 127\.0\.0\.1:\d+.*KAFKA_BROKERS/);
  });

  it('says the gRPC port is in use', async () => {
    const { code, stderr } = await runNode({ ...good, GRPC_PORT: String(heldPort) });
    expect(code).toBe(1);
    expectOneClearLine(stderr, new RegExp(`gRPC port 127\\.0\\.0\\.1:${heldPort} is already in use`));
  });
});
