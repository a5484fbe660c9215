import { WebSocket, type RawData } from 'ws';
import { isTerminal } from '../domain/order.js';
import type { Logger } from '../observability/logger.js';
import type { OrderStatusFeed } from '../status/order-status-feed.js';
import type { OrderView } from '../domain/order-view.js';
import { parseClientFrame, type ParseResult, type ServerFrame } from './websocket-frames.js';

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

export const CLOSE_CODES = {
  goingAway: 1001,
  policyViolation: 1008,
  internalError: 1011,
  slowConsumer: 4008,
  unauthenticated: 4401,
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

interface Subscription {
  /** The newest version sent, so nothing goes out twice or backwards whatever the feed does. */
  lastVersion: number;
  /** `subscribed` was sent: the order exists and this principal may see it. */
  confirmed: boolean;
  stopListening: () => void;
  pendingTimer?: NodeJS.Timeout;
}

const versionOf = (view: OrderView): number =>
  typeof view.version === 'object' ? view.version.toNumber() : Number(view.version);

const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);

/**
 * One client's session: authentication (a token from the upgrade request, or a first `auth`
 * frame), its subscriptions to the feed, and the limits that keep one client from hurting others.
 *
 * A subscribe answers `subscribed` + the order only once the feed has a view the principal may
 * see. Until then it is pending: an order just placed may not have reached this node's feed yet.
 * If no visible view arrives within `pendingSubscriptionMs`, the answer is NOT_FOUND. Another
 * consumer's order takes exactly that path too (same wait, same frame), so a client cannot tell
 * "exists but not yours" from "does not exist".
 */
export function serveConnection(opts: {
  socket: WebSocket;
  /** The token the upgrade request carried, if any; otherwise the first frame must be `auth`. */
  token: string | undefined;
  feed: OrderStatusFeed;
  authenticate: Authenticate;
  limits: ConnectionLimits;
  logger: Logger;
}): Connection {
  const { socket, feed, authenticate, limits } = opts;
  let log = opts.logger;
  const subscriptions = new Map<string, Subscription>();
  let principal: Principal | undefined;
  let authenticating = false;
  let early: Array<{ data: Buffer; isBinary: boolean }> = [];
  let answeredPing = true;
  let ending = false;
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

  function release(orderId: string): void {
    const sub = subscriptions.get(orderId);
    if (!sub) return;
    subscriptions.delete(orderId);
    clearTimeout(sub.pendingTimer);
    sub.stopListening();
  }

  function releaseAll(): void {
    for (const orderId of [...subscriptions.keys()]) release(orderId);
  }

  function close(code: number, reason: string): void {
    if (ending) return;
    ending = true;
    clearTimeout(authTimer);
    releaseAll();
    if (socket.readyState === WebSocket.CLOSED) return;
    socket.close(code, reason);
    const cut = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
    cut.unref();
    socket.once('close', () => clearTimeout(cut));
  }

  function refuse(message: string): void {
    if (ending) return;
    send({ type: 'error', code: 'UNAUTHENTICATED', message });
    close(CLOSE_CODES.unauthenticated, 'unauthenticated');
  }

  const visible = (view: OrderView): boolean =>
    principal !== undefined && (principal.admin || view.consumerId === principal.consumerId);

  function deliver(orderId: string, sub: Subscription, view: OrderView): void {
    if (subscriptions.get(orderId) !== sub || view.orderId !== orderId) return;
    if (!visible(view)) {
      // An order's consumer never changes: stop listening, but keep the slot and the pending
      // timer so the answer is the same NOT_FOUND, at the same time, as for a missing order.
      sub.stopListening();
      sub.stopListening = () => undefined;
      return;
    }
    const version = versionOf(view);
    if (!(version > sub.lastVersion)) return;
    if (!sub.confirmed) {
      sub.confirmed = true;
      clearTimeout(sub.pendingTimer);
      send({ type: 'subscribed', orderId });
    }
    sub.lastVersion = version;
    send({ type: 'order', order: view });
    if (isTerminal(view.status)) release(orderId);
  }

  function subscribe(orderId: string): void {
    const existing = subscriptions.get(orderId);
    if (existing) {
      // A pending one answers when it resolves; answering now would tell a foreign order apart.
      if (existing.confirmed) send({ type: 'subscribed', orderId });
      return;
    }
    if (subscriptions.size >= limits.maxSubscriptions) {
      send({ type: 'error', code: 'TOO_MANY_SUBSCRIPTIONS', message: `at most ${limits.maxSubscriptions} subscriptions per connection`, orderId });
      return;
    }
    const sub: Subscription = { lastVersion: Number.NEGATIVE_INFINITY, confirmed: false, stopListening: () => undefined };
    subscriptions.set(orderId, sub);
    // Listen first, then read the current view: a version arriving in between is not lost, and
    // one seen both ways is dropped by the version check.
    sub.stopListening = feed.subscribe(orderId, (view) => guard('order listener', () => deliver(orderId, sub, view)));
    const current = feed.current(orderId);
    if (current) deliver(orderId, sub, current);
    if (subscriptions.get(orderId) === sub && !sub.confirmed) {
      sub.pendingTimer = setTimeout(() => guard('pending subscription', () => {
        if (subscriptions.get(orderId) !== sub) return;
        release(orderId);
        send({ type: 'error', code: 'NOT_FOUND', message: 'no such order', orderId });
      }), limits.pendingSubscriptionMs);
    }
  }

  function handle(result: ParseResult): void {
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
        subscribe(frame.orderId);
        return;
      case 'unsubscribe':
        release(frame.orderId);
        send({ type: 'unsubscribed', orderId: frame.orderId });
        return;
    }
  }

  function startAuth(token: string): void {
    authenticating = true;
    Promise.resolve()
      .then(() => authenticate(token))
      .then(
        (who) => guard('authentication', () => {
          if (ending) return;
          principal = who;
          authenticating = false;
          clearTimeout(authTimer);
          log = log.child({ consumerId: who.consumerId });
          const queued = early;
          early = [];
          for (const frame of queued) handle(parseClientFrame(frame.data, frame.isBinary, limits.maxFrameBytes));
        }),
        (err: unknown) => {
          log.debug({ err }, 'websocket token refused');
          refuse('invalid or expired token');
        },
      );
  }

  function onMessage(data: Buffer, isBinary: boolean): void {
    if (ending) return;
    if (principal) {
      handle(parseClientFrame(data, isBinary, limits.maxFrameBytes));
    } else if (authenticating) {
      if (early.length < MAX_FRAMES_BEFORE_AUTH) {
        early.push({ data, isBinary });
        return;
      }
      send({ type: 'error', code: 'TOO_MANY_FRAMES', message: `at most ${MAX_FRAMES_BEFORE_AUTH} frames before authentication completes` });
      close(CLOSE_CODES.policyViolation, 'too many frames');
    } else {
      const parsed = parseClientFrame(data, isBinary, limits.maxFrameBytes);
      if (parsed.ok && parsed.frame.type === 'auth') startAuth(parsed.frame.token);
      else refuse('send a bearer token: Authorization header, ?token=, or a first {"type":"auth","token":"…"} frame');
    }
  }

  socket.on('message', (data, isBinary) => guard('frame handler', () => onMessage(toBuffer(data), isBinary)));
  socket.on('pong', () => { answeredPing = true; });
  // ws reports protocol violations (oversized payload, bad opcode) here and then closes itself.
  socket.on('error', (err) => log.debug({ err }, 'websocket protocol error'));
  socket.on('close', (code) => {
    ending = true;
    clearTimeout(authTimer);
    releaseAll();
    log.debug({ code }, 'websocket closed');
    markClosed();
  });

  if (opts.token !== undefined) startAuth(opts.token);

  return {
    heartbeat: () => guard('heartbeat', () => {
      if (ending) return;
      if (!answeredPing) {
        log.info('websocket peer stopped answering pings: dropped');
        ending = true;
        clearTimeout(authTimer);
        releaseAll();
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
