import { open } from 'node:fs/promises';

/** A position in a log file that an instance appends to across restarts. */
export interface LogMark {
  file: string;
  offset: number;
}

/**
 * The last lines each file gained since its mark: only this launch's output, so an error from a
 * previous run on the same data dir is never blamed on this one.
 */
export async function logSince(marks: readonly LogMark[], maxLines = 15): Promise<string> {
  const parts = await Promise.all(
    marks.map(async ({ file, offset }) => {
      const text = await readFrom(file, offset);
      const lines = text.split('\n').filter((line) => line.trim() !== '');
      return lines.length === 0 ? '' : `--- ${file}\n${lines.slice(-maxLines).join('\n')}`;
    }),
  );
  return parts.filter((part) => part !== '').join('\n') || '(no output)';
}

/** How Cassandra 2.1 and Netty report a port another process holds. */
export function mentionsPortInUse(output: string): boolean {
  return /Address already in use|Failed to bind port|Unable to bind to address|is in use by another process/i.test(output);
}

/**
 * Whether Cassandra has said it binds its CQL port. It binds right after this line and, in 2.1,
 * ignores a failed bind: if CQL still does not answer well after it, the port was taken.
 */
export async function announcedCqlListening(mark: LogMark, address: string): Promise<boolean> {
  return (await readFrom(mark.file, mark.offset)).includes(`Starting listening for CQL clients on /${address}...`);
}

async function readFrom(file: string, offset: number): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    // Bound the read: only the tail is shown.
    const start = Math.max(offset, size - 64 * 1024);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
