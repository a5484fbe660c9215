/**
 * The peer's service process: the Restate SDK endpoint serving the checkout object on `PORT`,
 * calling the downstream services at `DOWNSTREAM_ADDRESS`. The SDK comes from the bench's cache
 * (`RESTATE_SDK_ENTRY`). Prints one JSON line `{"msg":"peer service ready"}` when listening, and
 * with `PEER_PROGRESS_LOG=1` one `{"msg":"step"}` line per step that ran here (the kill round).
 */
import './with-resolvers-polyfill.js';
import { grpcCheckoutSteps } from '../../../src/clients/grpc-checkout-steps.js';
import { createDownstreamClients } from '../../../src/clients/downstream-clients.js';
import { createOrderPricer } from '../../../src/pricing/price-order.js';
import { peerCheckoutObject } from './peer-checkout.js';
import { loadRestateSdk } from './restate-sdk-types.js';

const DEADLINE_MS = 2_000; // the nodes' DOWNSTREAM_DEADLINE_MS default

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

async function main(): Promise<void> {
  const sdk = await loadRestateSdk(required('RESTATE_SDK_ENTRY'));
  const downstream = createDownstreamClients(required('DOWNSTREAM_ADDRESS'), { deadlineMs: DEADLINE_MS });
  await downstream.ready(10_000);
  const progress = process.env.PEER_PROGRESS_LOG === '1';
  const object = peerCheckoutObject(sdk, {
    pricer: createOrderPricer({ clients: downstream, deadlineMs: DEADLINE_MS, clock: Date.now }),
    steps: grpcCheckoutSteps(downstream, DEADLINE_MS),
    ...(progress ? { onStepDone: (orderId: string, step: string) => { process.stdout.write(`${JSON.stringify({ msg: 'step', orderId, step, at: Date.now() })}\n`); } } : {}),
  });
  const port = await sdk.serve({ services: [object], port: Number(required('PORT')) });
  process.stdout.write(`${JSON.stringify({ msg: 'peer service ready', port, pid: process.pid })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ msg: 'peer service failed', err: String((err as Error).stack ?? err) })}\n`);
  process.exit(1);
});
