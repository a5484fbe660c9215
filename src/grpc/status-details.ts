import type { Metadata } from '@grpc/grpc-js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import type { BadRequest__Output } from '../generated/google/rpc/BadRequest.js';
import type { ErrorInfo__Output } from '../generated/google/rpc/ErrorInfo.js';

/** The trailer grpc-js carries a serialized google.rpc.Status in (the richer error model). */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

const TYPE_PREFIX = 'type.googleapis.com/';

export interface RichStatus {
  code: number;
  message: string;
  errorInfo?: { reason: string; domain: string; metadata?: Record<string, string> };
  fieldViolations?: Array<{ field: string; description: string }>;
}

export interface DecodedStatus {
  code: number;
  message: string;
  errorInfo?: ErrorInfo__Output;
  badRequest?: BadRequest__Output;
}

export interface StatusCodec {
  encode(status: RichStatus): Buffer;
  decode(bytes: Uint8Array): DecodedStatus;
  /** The decoded details trailer of a failed call's metadata, if it has one that parses. */
  fromMetadata(metadata: Metadata | undefined): DecodedStatus | undefined;
}

/**
 * Encodes and decodes google.rpc.Status with its ErrorInfo and BadRequest details. Loading the
 * protos costs a few milliseconds, so make one codec per server or client bundle and share it.
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
  const plain = { longs: Number, enums: String, defaults: true, arrays: true, objects: true };

  const pack = (type: protobuf.Type, value: object): protobuf.Message =>
    Any.create({ type_url: TYPE_PREFIX + type.fullName.replace(/^\./, ''), value: type.encode(type.fromObject(value)).finish() });

  const decode = (bytes: Uint8Array): DecodedStatus => {
    // Any is decoded by hand: protobufjs's object conversion rewrites Any into JSON form. Its
    // built-in google.protobuf types keep snake_case field names, hence type_url.
    const message = Status.decode(bytes) as unknown as { code?: number; message?: string; details?: Array<{ type_url: string; value: Uint8Array }> };
    const decoded: DecodedStatus = { code: message.code ?? 0, message: message.message ?? '' };
    for (const detail of message.details ?? []) {
      const typeName = detail.type_url.slice(detail.type_url.lastIndexOf('/') + 1);
      if (typeName === 'google.rpc.ErrorInfo') {
        decoded.errorInfo = ErrorInfo.toObject(ErrorInfo.decode(detail.value), plain) as ErrorInfo__Output;
      } else if (typeName === 'google.rpc.BadRequest') {
        decoded.badRequest = BadRequest.toObject(BadRequest.decode(detail.value), plain) as BadRequest__Output;
      }
    }
    return decoded;
  };

  return {
    encode(status) {
      const details: protobuf.Message[] = [];
      if (status.errorInfo) details.push(pack(ErrorInfo, status.errorInfo));
      if (status.fieldViolations?.length) details.push(pack(BadRequest, { fieldViolations: status.fieldViolations }));
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
