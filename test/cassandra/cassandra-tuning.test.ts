import { describe, expect, it } from 'vitest';
import { instanceLayout, renderCassandraYaml, renderJavaArgs, type CassandraConfig } from '../../cluster/local/cassandra/cassandra-config.js';
import { cassandraTuning } from '../../cluster/local/local-infra.js';

const base: CassandraConfig = { dataDir: '/tmp/c', host: '127.0.0.1', nativePort: 9042, storagePort: 7000, sslStoragePort: 7001, commitlogSync: 'batch', heapMb: 256 };
const home = { dir: '/c', jars: ['/c/lib/a.jar'], jammJar: '/c/lib/jamm.jar', cacheDir: '/c/cache' };

describe('the local Cassandra tuning keeps the commitlog durable', () => {
  it('syncs in batch mode with the window asked for, and drops the C1-only flag for the full JIT', () => {
    expect(renderCassandraYaml(base)).toContain('commitlog_sync: batch\ncommitlog_sync_batch_window_in_ms: 2');
    expect(renderCassandraYaml({ ...base, commitlogWindowMs: 1 })).toContain('commitlog_sync: batch\ncommitlog_sync_batch_window_in_ms: 1');
    const args = (c: CassandraConfig) => renderJavaArgs(home, instanceLayout(c.dataDir), c, '/tmp/args');
    expect(args(base)).toContain('-XX:TieredStopAtLevel=1');
    expect(args({ ...base, jit: 'full', heapMb: 512 })).not.toContain('-XX:TieredStopAtLevel=1');
    expect(args({ ...base, jit: 'full', heapMb: 512 })).toContain('-Xmx512M');
  });

  it('takes A/B overrides from the environment and refuses an unknown JIT', () => {
    expect(cassandraTuning({}, { CASSANDRA_JIT: 'c1', CASSANDRA_HEAP_MB: '256', CASSANDRA_COMMITLOG_WINDOW_MS: '2' })).toEqual({ jit: 'c1', heapMb: 256, commitlogWindowMs: 2 });
    expect(cassandraTuning({ cassandraHeapMb: 128 }, {}).heapMb).toBe(128);
    expect(() => cassandraTuning({}, { CASSANDRA_JIT: 'c2' })).toThrow(/CASSANDRA_JIT/);
  });
});
