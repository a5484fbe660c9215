import { createLogger } from '../../../src/observability/logger.js';
import { loadDownstreamConfig } from './downstream-config.js';
import { startDownstreamServer } from './downstream-server.js';

/*
 * The downstream services as a process: `node dist/cluster/local/downstream/downstream-main.js`.
 * Prints {"msg":"downstream ready","address":"host:port",...} on stdout once it serves, and
 * stops cleanly on SIGTERM or SIGINT (a second signal exits at once).
 */

async function main(): Promise<void> {
  const config = loadDownstreamConfig(process.argv.slice(2), process.env);
  const logger = createLogger({ level: config.logLevel, name: 'downstream' });
  const server = await startDownstreamServer({
    host: config.host,
    port: config.port,
    latency: config.latency,
    faults: config.faults,
    adminSecret: config.adminSecret,
    ...(config.seed === undefined ? {} : { seed: config.seed }),
    logger,
  });
  // Written directly, not through the logger, so a quiet LOG_LEVEL cannot hide it from launchers.
  process.stdout.write(`${JSON.stringify({ msg: 'downstream ready', address: server.address, port: server.port, seed: server.seed })}\n`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, 'downstream stopping');
    server.stop(2000).then(
      () => {
        logger.info('downstream stopped');
        process.exitCode = 0;
      },
      (err: unknown) => {
        logger.error({ err }, 'downstream stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
