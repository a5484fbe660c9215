import { WebSocket } from 'ws';
import type { ServerFrame } from '../../src/edge/websocket-frames.js';

/** A real `ws` client that records every frame the server sends, in order, for tests to read one by one. */
export interface TestClient {
  readonly ws: WebSocket;
  /** Sends `value` as a JSON text frame. */
  send(value: unknown): void;
  /** The next frame not yet read, in arrival order; rejects if none comes within `timeoutMs`. */
  next(timeoutMs?: number): Promise<ServerFrame>;
  /** Frames received and not yet read by `next`. */
  unread(): ServerFrame[];
  /** How the connection ended, once it has. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** `ca`: for a `wss://` server whose certificate the test made. */
export function openClient(url: string, headers: Record<string, string> = {}, opts: { ca?: Buffer } = {}): Promise<TestClient> {
  const ws = new WebSocket(url, { headers, ...(opts.ca ? { ca: opts.ca } : {}) });
  const inbox: ServerFrame[] = [];
  let waiter: (() => void) | undefined;
  ws.on('message', (data) => {
    inbox.push(JSON.parse(String(data)) as ServerFrame);
    waiter?.();
  });
  // After the handshake, errors (a reset by a server that cut the peer) end in 'close', which tests read.
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  const client: TestClient = {
    ws,
    closed,
    send: (value) => ws.send(JSON.stringify(value)),
    unread: () => [...inbox],
    async next(timeoutMs = 2_000) {
      const deadline = Date.now() + timeoutMs;
      while (inbox.length === 0) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiter = () => { clearTimeout(timer); resolve(); };
        });
        waiter = undefined;
      }
      return inbox.shift() as ServerFrame;
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}
