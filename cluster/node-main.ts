/**
 * A checkout node process. Configuration comes from env vars (src/config/config.ts); it prints
 * one JSON log line `node ready` with its addresses, and stops gracefully on SIGTERM or SIGINT.
 */
import * as grpc from '@grpc/grpc-js';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/observability/logger.js';
import { startCheckoutNode } from './checkout-node.js';
import { exitOnFatalErrors } from './fatal-errors.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(`checkout node: ${err.message}\n`); process.exit(2); }
    throw err;
  }
  const logger = createLogger({ level: config.LOG_LEVEL, nodeId: config.NODE_ID });
  exitOnFatalErrors(process, logger, (code) => process.exit(code));
  // grpc-js writes its own errors to stderr; route them into the structured log instead.
  grpc.setLogger({ error: (...a: unknown[]) => logger.debug({ grpc: a.join(' ') }, 'grpc-js'), info: () => undefined, debug: () => undefined });
  let node;
  try {
    // The dashboard's admin stop takes the same path as an operator's SIGTERM.
    node = await startCheckoutNode(config, logger, { requestStop: () => process.kill(process.pid, 'SIGTERM') });
  } catch (err) {
    logger.fatal({ reason: (err as Error).message }, 'node could not start');
    process.stderr.write(`checkout node: ${(err as Error).message}\n`);
    process.exit(1);
  }
  logger.info({ grpcAddress: node.grpcAddress, pool: config.NODE_POOL }, 'node started');
  // Written directly, not through the logger, so a quiet LOG_LEVEL cannot hide it from launchers.
  process.stdout.write(`${JSON.stringify({ msg: 'node ready', nodeId: config.NODE_ID, grpcAddress: node.grpcAddress, httpAddress: node.httpAddress, adminAddress: node.adminAddress, pool: config.NODE_POOL })}\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => { logger.error('shutdown took too long: exiting'); process.exit(1); }, 15_000);
    force.unref();
    void node.stop().then(() => { logger.info('stopped'); process.exit(0); });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
