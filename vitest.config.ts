import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// One Cassandra and one Kafka-protocol broker serve the whole run; each setup file starts its
// server (or adopts one named by env vars) and tears it down even when tests fail.
const globalSetup = ['test/setup/cassandra.global.ts', 'test/setup/kafka.global.ts'].filter((f) => existsSync(f));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup,
    // The machine has 2 cores and the tests start real JVMs and processes: one file at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});
