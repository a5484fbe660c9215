import type { OrderView } from '../domain/order-view.js';

/**
 * The websocket status protocol's frames, one JSON object per text message, and the parser that
 * turns whatever a client sends into either a frame or the error frame to answer it with. The
 * parser never throws: bad input is the peer's mistake to hear about, not the server's to crash on.
 */

export type ClientFrame =
  | { type: 'auth'; token: string }
  | { type: 'subscribe'; orderId: string }
  | { type: 'unsubscribe'; orderId: string }
  | { type: 'ping' };

export type ErrorCode =
  | 'BAD_FRAME'
  | 'FRAME_TOO_LARGE'
  | 'UNKNOWN_TYPE'
  | 'UNAUTHENTICATED'
  | 'NOT_FOUND'
  | 'TOO_MANY_SUBSCRIPTIONS'
  | 'TOO_MANY_FRAMES'
  | 'TOO_MANY_CONNECTIONS'
  | 'TOKEN_EXPIRED';

export type ServerFrame =
  | { type: 'order'; order: OrderView }
  | { type: 'subscribed'; orderId: string }
  | { type: 'unsubscribed'; orderId: string }
  | { type: 'pong' }
  | { type: 'error'; code: ErrorCode; message: string; orderId?: string };

export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; error: Extract<ServerFrame, { type: 'error' }> };

/** Order ids are opaque to clients; this bound only keeps junk (and log injection) out. */
const ORDER_ID = /^[\x21-\x7e]{1,128}$/;
const MAX_TOKEN_CHARS = 4096;

// fatal: a text frame that is not UTF-8 must be reported, not silently turned into U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

const bad = (code: ErrorCode, message: string, orderId?: string): ParseResult => ({
  ok: false,
  error: orderId === undefined ? { type: 'error', code, message } : { type: 'error', code, message, orderId },
});

export function parseClientFrame(data: Buffer, isBinary: boolean, maxFrameBytes: number): ParseResult {
  if (isBinary) return bad('BAD_FRAME', 'binary frames are not accepted: send JSON as a text frame');
  if (data.length > maxFrameBytes) return bad('FRAME_TOO_LARGE', `a frame may be at most ${maxFrameBytes} bytes`);
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return bad('BAD_FRAME', 'a text frame must be valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('BAD_FRAME', 'a frame must be a JSON object');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad('BAD_FRAME', 'a frame must be a JSON object');
  }
  const fields = value as Record<string, unknown>;
  if (typeof fields.type !== 'string') return bad('BAD_FRAME', 'type must be a string');
  // Fields a frame does not define are ignored, so clients can add some without breaking old servers.
  switch (fields.type) {
    case 'ping':
      return { ok: true, frame: { type: 'ping' } };
    case 'auth':
      if (typeof fields.token !== 'string' || fields.token.length === 0 || fields.token.length > MAX_TOKEN_CHARS) {
        return bad('BAD_FRAME', `token must be a non-empty string of at most ${MAX_TOKEN_CHARS} characters`);
      }
      return { ok: true, frame: { type: 'auth', token: fields.token } };
    case 'subscribe':
    case 'unsubscribe':
      if (typeof fields.orderId !== 'string' || !ORDER_ID.test(fields.orderId)) {
        return bad('BAD_FRAME', 'orderId must be a string of 1 to 128 printable ASCII characters without spaces');
      }
      return { ok: true, frame: { type: fields.type, orderId: fields.orderId } };
    default:
      return bad('UNKNOWN_TYPE', 'type must be one of auth, subscribe, unsubscribe, ping');
  }
}
