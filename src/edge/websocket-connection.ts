import { WebSocket, type RawData } from 'ws';
import type { Logger } from '../observability/logger.js';
import type { OrderStatusFeed } from '../status/order-status-feed.js';
import type { OrderView } from '../domain/order-view.js';
import { parseClientFrame, type ParseResult, type ServerFrame } from './websocket-frames.js';
import { createSubscriptions, type Subscriptions } from './websocket-subscriptions.js';

import type { Principal } from './auth.js';

export type { Principal } from './auth.js';

/** Resolves the principal a bearer token names; rejects a bad or expired token. */
export type Authenticate = (token: string) => Promise<Principal>;

export interface ConnectionLimits {
  /** Unsent bytes a connection may hold before it is dropped as a slow consumer. */
  maxBufferedBytes: number;
  /** Largest client frame answered normally; a larger one gets FRAME_TOO_LARGE. */
  maxFrameBytes: number;
  /** Live plus pending subscriptions per connection. */
  maxSubscriptions: number;
  /** How long a connection may stay without a valid token. */
  authTimeoutMs: number;
  /** How long a subscribe waits for an order the feed does not know yet before NOT_FOUND. */
  pendingSubscriptionMs: number;
}

/** Counts authenticated connections per consumer; `admit` says no beyond the cap. */
export interface ConsumerSessions {
  admit(consumerId: string): boolean;
  leave(consumerId: string): void;
}

export const CLOSE_CODES = {
  goingAway: 1001,
  policyViolation: 1008,
  internalError: 1011,
  tryAgainLater: 1013,
  slowConsumer: 4008,
  unauthenticated: 4401,
  tooManyConnections: 4429,
} as const;

export interface Connection {
  /** Pings the peer, or cuts the connection if it did not answer the previous ping. */
  heartbeat(): void;
  /** Releases every subscription and closes with `code`; cuts the socket if the handshake stalls. */
  close(code: number, reason: string): void;
  /** Settles once the socket is closed and everything the connection held is released. */
  readonly closed: Promise<void>;
}

// A peer that stopped reading will never complete the close handshake; don't hold its buffers for
// ws's default 30 s.
const CLOSE_GRACE_MS = 1_000;
// Frames that arrive while the token is being checked wait for the answer; more than this is a flood.
const MAX_FRAMES_BEFORE_AUTH = 16;
const MAX_TIMER_MS = 2 ** 31 - 1;

const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);

/**
 * One client's session: authentication (a token from the upgrade request, or a first `auth`
 * frame), its subscriptions to the feed (`websocket-subscriptions.ts`), and the limits that keep
 * one client from hurting others: buffered bytes, frames before authentication, connections per
 * consumer, and the token's own expiry, at which the session ends (4401).
 */
export function serveConnection(opts: {
  socket: WebSocket;
  /** The token the upgrade request carried, if any; otherwise the first frame must be `auth`. */
  token: string | undefined;
  feed: OrderStatusFeed;
  authenticate: Authenticate;
  limits: ConnectionLimits;
  sessions: ConsumerSessions;
  logger: Logger;
  clock?: () => number;
}): Connection {
  const { socket, limits } = opts;
  const clock = opts.clock ?? Date.now;
  let log = opts.logger;
  let principal: Principal | undefined;
  let admitted = false;
  let ending = false;
  let answeredPing = true;
  let expiryTimer: NodeJS.Timeout | undefined;
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => { markClosed = resolve; });
  const authTimer = setTimeout(() => refuse(`no valid token within ${limits.authTimeoutMs} ms`), limits.authTimeoutMs);

  /** Nothing a peer sends or the feed emits may throw out of a listener and take the node down. */
  const guard = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      log.error({ err }, `websocket ${what} failed`);
      close(CLOSE_CODES.internalError, 'internal error');
    }
  };

  function send(frame: ServerFrame): void {
    if (ending || socket.readyState !== WebSocket.OPEN) return;
    // Checked before each send, so what one client holds is bounded by the limit plus one frame.
    if (socket.bufferedAmount > limits.maxBufferedBytes) {
      log.warn({ bufferedAmount: socket.bufferedAmount }, 'slow websocket consumer dropped');
      close(CLOSE_CODES.slowConsumer, 'slow consumer');
      return;
    }
    socket.send(JSON.stringify(frame));
  }

  const visible = (view: OrderView): boolean =>
    principal !== undefined && (principal.admin || view.consumerId === principal.consumerId);
  const subscriptions = createSubscriptions({
    feed: opts.feed, maxSubscriptions: limits.maxSubscriptions, pendingMs: limits.pendingSubscriptionMs, send, guard, visible,
  });

  /** Everything the connection holds, released once: subscriptions, timers, its consumer's slot. */
  function releaseEverything(): void {
    clearTimeout(authTimer);
    clearTimeout(expiryTimer);
    subscriptions.releaseAll();
    if (admitted && principal) opts.sessions.leave(principal.consumerId);
    admitted = false;
  }

  function close(code: number, reason: string): void {
    if (ending) return;
    ending = true;
    releaseEverything();
    if (socket.readyState === WebSocket.CLOSED) return;
    socket.close(code, reason);
    const cut = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
    cut.unref();
    socket.once('close', () => clearTimeout(cut));
  }

  function refuse(message: string, code: 'UNAUTHENTICATED' | 'TOKEN_EXPIRED' = 'UNAUTHENTICATED'): void {
    if (ending) return;
    send({ type: 'error', code, message });
    close(CLOSE_CODES.unauthenticated, code === 'TOKEN_EXPIRED' ? 'token expired' : 'unauthenticated');
  }

  const handle = (result: ParseResult): void => answerFrame(result, { send, subscriptions });

  /** The session lives as long as its token: at `exp` it ends the way a refused token does. */
  function armExpiry(expiresAtMs: number): void {
    const left = expiresAtMs - clock();
    if (left <= 0) {
      refuse('the token has expired: connect again with a fresh one', 'TOKEN_EXPIRED');
      return;
    }
    // setTimeout's ceiling is ≈24.8 days; a token living longer is re-armed rather than fired at once.
    expiryTimer = setTimeout(() => guard('token expiry', () => armExpiry(expiresAtMs)), Math.min(left, MAX_TIMER_MS));
    expiryTimer.unref();
  }

  const auth = createAuthGate({
    authenticate: opts.authenticate,
    onAuthenticated: (who, queued) => guard('authentication', () => {
      if (ending) return;
      clearTimeout(authTimer);
      log = log.child({ consumerId: who.consumerId });
      if (!opts.sessions.admit(who.consumerId)) {
        send({ type: 'error', code: 'TOO_MANY_CONNECTIONS', message: 'too many open connections for this consumer: close one first' });
        close(CLOSE_CODES.tooManyConnections, 'too many connections');
        return;
      }
      principal = who;
      admitted = true;
      if (who.expiresAtMs !== undefined) armExpiry(who.expiresAtMs);
      if (ending) return;
      for (const frame of queued) handle(parseClientFrame(frame.data, frame.isBinary, limits.maxFrameBytes));
    }),
    onRefused: (err) => {
      log.debug({ err }, 'websocket token refused');
      refuse('invalid or expired token');
    },
  });

  function onMessage(data: Buffer, isBinary: boolean): void {
    if (ending) return;
    if (principal) {
      handle(parseClientFrame(data, isBinary, limits.maxFrameBytes));
    } else if (auth.pending()) {
      if (auth.queue({ data, isBinary })) return;
      send({ type: 'error', code: 'TOO_MANY_FRAMES', message: `at most ${MAX_FRAMES_BEFORE_AUTH} frames before authentication completes` });
      close(CLOSE_CODES.policyViolation, 'too many frames');
    } else {
      const parsed = parseClientFrame(data, isBinary, limits.maxFrameBytes);
      if (parsed.ok && parsed.frame.type === 'auth') auth.start(parsed.frame.token);
      else refuse('send a bearer token: Authorization header, ?token=, or a first {"type":"auth","token":"…"} frame');
    }
  }

  socket.on('message', (data, isBinary) => guard('frame handler', () => onMessage(toBuffer(data), isBinary)));
  socket.on('pong', () => { answeredPing = true; });
  // ws reports protocol violations (oversized payload, bad opcode) here and then closes itself.
  socket.on('error', (err) => log.debug({ err }, 'websocket protocol error'));
  socket.on('close', (code) => {
    ending = true;
    releaseEverything();
    log.debug({ code }, 'websocket closed');
    markClosed();
  });

  if (opts.token !== undefined) auth.start(opts.token);

  return {
    heartbeat: () => guard('heartbeat', () => {
      if (ending) return;
      if (!answeredPing) {
        log.info('websocket peer stopped answering pings: dropped');
        ending = true;
        releaseEverything();
        socket.terminate();
        return;
      }
      answeredPing = false;
      socket.ping();
    }),
    close,
    closed,
  };
}

/** An authenticated client's frame: answered, or handed to its subscriptions. */
function answerFrame(result: ParseResult, to: { send(frame: ServerFrame): void; subscriptions: Subscriptions }): void {
  const { send, subscriptions } = to;
  if (!result.ok) {
    send(result.error);
    return;
  }
  const frame = result.frame;
  switch (frame.type) {
    case 'ping':
      send({ type: 'pong' });
      return;
    case 'auth':
      send({ type: 'error', code: 'BAD_FRAME', message: 'already authenticated' });
      return;
    case 'subscribe':
      subscriptions.subscribe(frame.orderId);
      return;
    case 'unsubscribe':
      subscriptions.release(frame.orderId);
      send({ type: 'unsubscribed', orderId: frame.orderId });
      return;
  }
}

interface EarlyFrame { data: Buffer; isBinary: boolean }

/**
 * The token check in flight: frames that arrive meanwhile are queued (up to a bound) and handed
 * over, in order, once the principal is known.
 */
function createAuthGate(opts: {
  authenticate: Authenticate;
  onAuthenticated(who: Principal, queued: EarlyFrame[]): void;
  onRefused(err: unknown): void;
}) {
  let authenticating = false;
  let early: EarlyFrame[] = [];
  return {
    pending: () => authenticating,
    /** False when the queue is full: the peer is flooding. */
    queue(frame: EarlyFrame): boolean {
      if (early.length >= MAX_FRAMES_BEFORE_AUTH) return false;
      early.push(frame);
      return true;
    },
    start(token: string): void {
      authenticating = true;
      Promise.resolve()
        .then(() => opts.authenticate(token))
        .then(
          (who) => {
            authenticating = false;
            const queued = early;
            early = [];
            opts.onAuthenticated(who, queued);
          },
          (err: unknown) => opts.onRefused(err),
        );
    },
  };
}
