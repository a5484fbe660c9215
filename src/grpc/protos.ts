import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { projectPath } from '../config/paths.js';
import type { ProtoGrpcType as AdminProto } from '../generated/admin.js';
import type { ProtoGrpcType as CatalogProto } from '../generated/catalog.js';
import type { ProtoGrpcType as CheckoutProto } from '../generated/checkout.js';
import type { ProtoGrpcType as FraudProto } from '../generated/fraud.js';
import type { ProtoGrpcType as LogisticsProto } from '../generated/logistics.js';
import type { ProtoGrpcType as MerchantProto } from '../generated/merchant.js';
import type { ProtoGrpcType as PaymentsProto } from '../generated/payments.js';

// Must match the flags in proto/gen-types.mjs, or the generated types would lie.
const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [projectPath('proto'), dirname(createRequire(import.meta.url).resolve('google-proto-files/package.json'))],
};

const checkoutFiles = ['checkout/v1/checkout.proto'];
const downstreamFiles = ['catalog', 'fraud', 'payments', 'logistics', 'merchant', 'admin'].map((n) => `downstream/v1/${n}.proto`);

export type DownstreamProto = CatalogProto & FraudProto & PaymentsProto & LogisticsProto & MerchantProto & AdminProto;

export interface LoadedProto<T> {
  /** The package definition, for server reflection. */
  definition: protoLoader.PackageDefinition;
  grpc: T;
}

function load<T>(files: string[]): LoadedProto<T> {
  const definition = protoLoader.loadSync(files, loaderOptions);
  return { definition, grpc: grpc.loadPackageDefinition(definition) as unknown as T };
}

export const loadCheckoutProto = (): LoadedProto<CheckoutProto> => load<CheckoutProto>(checkoutFiles);
export const loadDownstreamProto = (): LoadedProto<DownstreamProto> => load<DownstreamProto>(downstreamFiles);
