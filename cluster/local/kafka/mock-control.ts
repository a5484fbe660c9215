import { connect } from 'node:net';

/**
 * Client for the mock broker's control port. Lives apart from the launcher code because test
 * files call it from worker processes that only know the control address, not the broker.
 */

export class MockControlError extends Error {
  override name = 'MockControlError';
}

const DEFAULT_TIMEOUT_MS = 5_000;

/** Creates a topic on the mock broker. Rejects if it exists already or the broker refuses. */
export async function createMockTopic(
  controlAddress: string,
  name: string,
  partitions: number,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<void> {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(name)) throw new MockControlError(`invalid topic name '${name}'`);
  if (!Number.isInteger(partitions) || partitions < 1) throw new MockControlError(`invalid partition count ${partitions}`);
  const answer = await request(controlAddress, `create-topic ${name} ${partitions}`, timeoutMs);
  if (answer !== 'ok') throw new MockControlError(`create-topic ${name} ${partitions}: ${answer}`);
}

/** Sends one command line, resolves with the one reply line. */
function request(address: string, line: string, timeoutMs: number): Promise<string> {
  const { host, port } = parseAddress(address);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffered = '';
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new MockControlError(`no reply from mock control ${address} within ${timeoutMs} ms`)));
    socket.on('error', (err) => fail(new MockControlError(`mock control ${address}: ${err.message}`)));
    socket.on('connect', () => socket.write(line + '\n'));
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      socket.end();
      resolve(buffered.slice(0, nl).trim());
    });
    socket.on('close', () => reject(new MockControlError(`mock control ${address} closed without a reply`)));
  });
}

function parseAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0) throw new MockControlError(`bad control address '${address}'`);
  return { host: address.slice(0, colon), port };
}
