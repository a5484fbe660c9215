import type { Metadata } from '@grpc/grpc-js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import type { BadRequest__Output } from '../generated/google/rpc/BadRequest.js';
import type { ErrorInfo__Output } from '../generated/google/rpc/ErrorInfo.js';
import type { PreconditionFailure__Output } from '../generated/google/rpc/PreconditionFailure.js';
import type { RetryInfo__Output } from '../generated/google/rpc/RetryInfo.js';

/** The trailer grpc-js carries a serialized google.rpc.Status in (the richer error model). */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

const TYPE_PREFIX = 'type.googleapis.com/';

export interface RichStatus {
  code: number;
  message: string;
  errorInfo?: { reason: string; domain: string; metadata?: Record<string, string> };
  /** google.rpc.BadRequest: which request fields to fix. */
  fieldViolations?: Array<{ field: string; description: string }>;
  /** google.rpc.PreconditionFailure: which business conditions are unmet. */
  preconditionViolations?: Array<{ type: string; subject: string; description: string }>;
  /** google.rpc.RetryInfo: how long the client should wait before retrying, in milliseconds. */
  retryDelayMs?: number;
}

export interface DecodedStatus {
  code: number;
  message: string;
  errorInfo?: ErrorInfo__Output;
  badRequest?: BadRequest__Output;
  preconditionFailure?: PreconditionFailure__Output;
  retryInfo?: RetryInfo__Output;
}

export interface StatusCodec {
  encode(status: RichStatus): Buffer;
  decode(bytes: Uint8Array): DecodedStatus;
  /** The decoded details trailer of a failed call's metadata, if it has one that parses. */
  fromMetadata(metadata: Metadata | undefined): DecodedStatus | undefined;
}

/** A google.protobuf.Duration as milliseconds (what timers take). */
export const durationToMs = (d: { seconds: number; nanos: number }): number => d.seconds * 1000 + Math.round(d.nanos / 1e6);

/** Milliseconds as a google.protobuf.Duration (whole seconds plus nanos, both non-negative here). */
export const msToDuration = (ms: number): { seconds: number; nanos: number } => {
  const whole = Math.max(0, Math.round(ms));
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1e6 };
};

/**
 * Encodes and decodes google.rpc.Status with its ErrorInfo, BadRequest, PreconditionFailure and
 * RetryInfo details. Loading the protos costs a few milliseconds, so make one codec per server or
 * client bundle and share it.
 */
export function createStatusCodec(): StatusCodec {
  const protosDir = dirname(createRequire(import.meta.url).resolve('google-proto-files/package.json'));
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(protosDir, target);
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto']);
  const Status = root.lookupType('google.rpc.Status');
  const Any = root.lookupType('google.protobuf.Any');
  const ErrorInfo = root.lookupType('google.rpc.ErrorInfo');
  const BadRequest = root.lookupType('google.rpc.BadRequest');
  const PreconditionFailure = root.lookupType('google.rpc.PreconditionFailure');
  const RetryInfo = root.lookupType('google.rpc.RetryInfo');
  const plain = { longs: Number, enums: String, defaults: true, arrays: true, objects: true };

  const pack = (type: protobuf.Type, value: object): protobuf.Message =>
    Any.create({ type_url: TYPE_PREFIX + type.fullName.replace(/^\./, ''), value: type.encode(type.fromObject(value)).finish() });
  const unpack = <T>(type: protobuf.Type, value: Uint8Array): T => type.toObject(type.decode(value), plain) as T;

  const decode = (bytes: Uint8Array): DecodedStatus => {
    // Any is decoded by hand: protobufjs's object conversion rewrites Any into JSON form. Its
    // built-in google.protobuf types keep snake_case field names, hence type_url.
    const message = Status.decode(bytes) as unknown as { code?: number; message?: string; details?: Array<{ type_url: string; value: Uint8Array }> };
    const decoded: DecodedStatus = { code: message.code ?? 0, message: message.message ?? '' };
    for (const detail of message.details ?? []) {
      const typeName = detail.type_url.slice(detail.type_url.lastIndexOf('/') + 1);
      if (typeName === 'google.rpc.ErrorInfo') decoded.errorInfo = unpack(ErrorInfo, detail.value);
      else if (typeName === 'google.rpc.BadRequest') decoded.badRequest = unpack(BadRequest, detail.value);
      else if (typeName === 'google.rpc.PreconditionFailure') decoded.preconditionFailure = unpack(PreconditionFailure, detail.value);
      else if (typeName === 'google.rpc.RetryInfo') decoded.retryInfo = unpack(RetryInfo, detail.value);
    }
    return decoded;
  };

  return {
    encode(status) {
      const details: protobuf.Message[] = [];
      if (status.errorInfo) details.push(pack(ErrorInfo, status.errorInfo));
      if (status.fieldViolations?.length) details.push(pack(BadRequest, { fieldViolations: status.fieldViolations }));
      if (status.preconditionViolations?.length) details.push(pack(PreconditionFailure, { violations: status.preconditionViolations }));
      if (status.retryDelayMs !== undefined) details.push(pack(RetryInfo, { retryDelay: msToDuration(status.retryDelayMs) }));
      return Buffer.from(Status.encode(Status.create({ code: status.code, message: status.message, details })).finish());
    },
    decode,
    fromMetadata(metadata) {
      const raw = metadata?.get(STATUS_DETAILS_KEY)[0];
      if (!raw || typeof raw === 'string') return undefined;
      try {
        return decode(raw);
      } catch {
        // A peer that is not ours may send garbage here; the status code alone still stands.
        return undefined;
      }
    },
  };
}
