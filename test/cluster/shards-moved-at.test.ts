import { describe, expect, it } from 'vitest';
import { shardsMovedAt, type NodeLine } from '../../cluster/local/partition/partition-checks.js';

const owned = (node: string, at: number, shards: number[], gained: number[]): NodeLine =>
  ({ node, at, line: { msg: 'shard ownership changed', owned: shards, gained } });

describe('when a cut node\'s shards moved (read from the nodes\' ownership logs)', () => {
  it('is the last time another node gained one of them after the cut', () => {
    const lines = [owned('node-1', 100, [0, 1], [0, 1]), owned('node-2', 5_000, [0], [0]), owned('node-3', 6_000, [1], [1])];
    expect(shardsMovedAt(lines, 'node-1', [0, 1], 1_000)).toEqual({ at: 6_000, takenBy: { 0: 'node-2', 1: 'node-3' } });
  });

  it('counts a shard another node already held at the cut as moved then (the cut node had not heard of that rebalance)', () => {
    const lines = [owned('node-1', 100, [0, 1], [0, 1]), owned('node-2', 500, [1], [1]), owned('node-3', 6_000, [0], [0])];
    expect(shardsMovedAt(lines, 'node-1', [0, 1], 1_000)).toEqual({ at: 6_000, takenBy: { 0: 'node-3', 1: 'node-2' } });
  });

  it('is unknown while one of them was never held by another node', () => {
    const lines = [owned('node-1', 100, [0, 1], [0, 1]), owned('node-2', 500, [], []), owned('node-2', 5_000, [0], [0])];
    expect(shardsMovedAt(lines, 'node-1', [0, 1], 1_000).at).toBeUndefined();
  });

  it('counts the cut node taking a shard back once its link healed (a cut that ended before the group moved it)', () => {
    const lines = [owned('node-1', 100, [0, 1], [0, 1]), owned('node-2', 5_000, [0], [0]), owned('node-1', 5_000, [1], [1])];
    expect(shardsMovedAt(lines, 'node-1', [0, 1], 1_000, 4_000)).toEqual({ at: 5_000, takenBy: { 0: 'node-2', 1: 'node-1' } });
    expect(shardsMovedAt(lines, 'node-1', [0, 1], 1_000).at).toBeUndefined();
  });
});
