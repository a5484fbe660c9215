import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutNode } from '../../cluster/checkout-node.js';
import { richStatus, startTestCluster, type TestCluster } from '../support/checkout-cluster.js';

/** Bytes that are no protobuf message: a varint field's header, and no value after it. */
const TRUNCATED = Buffer.from([0x08]);

describe('a request body that does not decode', () => {
  let cluster: TestCluster;
  let node: CheckoutNode;
  let raw: grpc.Client;
  let token: string;
  beforeAll(async () => {
    cluster = await startTestCluster();
    node = await cluster.startNode('undecodable-1');
    token = await cluster.token('c-bytes');
    raw = new grpc.Client(node.grpcAddress, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 4 * 1024 * 1024 });
  });
  afterAll(async () => { raw?.close(); await cluster?.stop(); });

  const send = (method: string, bytes: Buffer) => new Promise<grpc.ServiceError>((resolve, reject) => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    const path = `/checkout.v1.CheckoutService/${method}`;
    if (method === 'WatchOrder') {
      const call = raw.makeServerStreamRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, md, { deadline: Date.now() + 10_000 });
      call.on('data', () => reject(new Error('a watch of undecodable bytes sent data')));
      call.on('error', (e: grpc.ServiceError) => resolve(e));
      return;
    }
    raw.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, md, { deadline: Date.now() + 10_000 }, (e) => (e ? resolve(e) : reject(new Error('accepted'))));
  });

  it('answers INVALID_ARGUMENT naming the request as the bad field, not INTERNAL', async () => {
    const err = await send('PlaceOrder', TRUNCATED);
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(richStatus(err).badRequest?.fieldViolations[0]).toMatchObject({ field: 'request', description: expect.stringMatching(/not a valid PlaceOrder message/) });
  });

  it('answers INVALID_ARGUMENT on every method, streaming ones too', async () => {
    for (const method of ['GetOrder', 'CancelOrder', 'WatchOrder']) {
      expect((await send(method, TRUNCATED)).code, method).toBe(grpc.status.INVALID_ARGUMENT);
    }
  });

  it('never answers INTERNAL to 60 random bodies', async () => {
    let seed = 60;
    const random = () => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed / 2 ** 31; };
    const codes: number[] = [];
    for (let i = 0; i < 60; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256)));
      codes.push((await send('PlaceOrder', bytes)).code);
    }
    expect(codes.filter((c) => c === grpc.status.INTERNAL)).toEqual([]);
  });

  it('over the size limit answers RESOURCE_EXHAUSTED naming the limit', async () => {
    const err = await send('PlaceOrder', Buffer.alloc(2 * 1024 * 1024, 7));
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/1048576/);
  });
});
