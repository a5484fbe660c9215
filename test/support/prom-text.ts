/** The parser lives with the metrics it reads (the benchmarks use it too). */
export * from '../../src/observability/prom-text.js';
