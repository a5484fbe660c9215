/**
 * `npm run build:broker`: builds (or finds cached) the Kafka mock broker ahead of the first test
 * run, so that run does not spend its first ~45 s compiling. Prints the binary path on stdout.
 */
import { ensureMockBroker } from './mock-broker-build.js';

try {
  process.stdout.write((await ensureMockBroker()) + '\n');
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
