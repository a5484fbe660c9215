import { describe, expect, it } from 'vitest';
import { recoverShardUntilDone } from '../../cluster/shard-recovery.js';
import { silentLogger } from '../../src/observability/logger.js';

const quick = { initialMs: 1, maxMs: 1, multiplier: 1, jitter: 0 };

describe('waking a newly owned shard\'s unfinished orders', () => {
  it('retries a failed listing until it succeeds', async () => {
    let calls = 0;
    const woken = await recoverShardUntilDone(3, {
      recover: async () => { if (++calls < 3) throw new Error('Cassandra timed out'); return 7; },
      stillOwned: () => true, backoff: quick, logger: silentLogger(),
    });
    expect(woken).toBe(7);
    expect(calls).toBe(3);
  });

  it('stops retrying once the shard is no longer this node\'s', async () => {
    let calls = 0;
    let owned = true;
    const woken = await recoverShardUntilDone(3, {
      recover: async () => { if (++calls === 2) owned = false; throw new Error('Cassandra timed out'); },
      stillOwned: () => owned, backoff: quick, logger: silentLogger(),
    });
    expect(woken).toBeUndefined();
    expect(calls).toBe(2);
  });
});
