import { describe, expect, it } from 'vitest';
import { type DuplicatePair, extendBlacklist, nearDuplicatePairs } from '../../lib/near-duplicates';

describe('nearDuplicatePairs', () => {
  // Three sampled images (TinyImages 50, 70, 60 at candidate rows 5, 7, 6); 50 and 60 are 30 apart, 70 is far from both.
  const tiIndices = [50, 70, 60];
  const rowOf = new Map([[50, 5], [70, 7], [60, 6]]);
  const within = { k: 2, indices: [0, 2, 1, 0, 2, 0], distances: [0, 900, 0, 25_000_000, 0, 900] };
  const nearest = new Map([[5, { index: 3, distance: 3000 }], [7, { index: 8, distance: 1500 }], [6, { index: 1, distance: 2001 }]]);
  const pairs = nearDuplicatePairs({ tiIndices, rowOf, within, nearestCifar: (row) => nearest.get(row)! }, 2000, 2000);

  it('lists each close pair of new images once, blacklisting the larger index, then the images close to CIFAR-10', () => {
    expect(pairs).toEqual([
      { id: 'within:50:60', kind: 'within', ti: 60, other: 50, distance: 30, rows: [6, 5] },
      { id: 'cifar:70:8', kind: 'cifar', ti: 70, other: 8, distance: 1500, rows: [7, 8] },
    ]);
  });

  it('finds nothing when the thresholds are below every distance', () => {
    expect(nearDuplicatePairs({ tiIndices, rowOf, within, nearestCifar: (row) => nearest.get(row)! }, 29, 1499)).toEqual([]);
  });

  it('extends a blacklist with all pairs, or with the confirmed ones by position, sorted and once each', () => {
    const list: DuplicatePair[] = [...pairs, { ...pairs[0], id: 'again' }];
    expect(extendBlacklist([99, 3], list, 'all')).toEqual([3, 60, 70, 99]);
    expect(extendBlacklist([], list, [1])).toEqual([70]);
    expect(extendBlacklist([5], list, [])).toEqual([5]);
  });
});
