import { describe, expect, it } from 'vitest';
import { layoutCorpus, Role } from '../../../lib/scale-corpus/layout';
import { planScaleCorpus } from '../../../lib/scale-corpus/plan';

const OPTS = { images: 40_000, candidates: 5_000, cifarTrain: 5_000, cifarTest: 1_000, seed: 11 };

describe('layoutCorpus', () => {
  const plan = planScaleCorpus(OPTS);
  const layout = layoutCorpus(plan);

  it('gives each class keyword the planned roles, shuffled by the seed', () => {
    for (const p of plan.keywords.filter((k) => k.classIndex >= 0)) {
      const { roles, cifarSlots, partner } = layout.keywords.get(p.keyword)!;
      const count = (role: number) => roles.filter((r) => r === role).length;
      expect([count(Role.cifar), count(Role.copy), count(Role.good), count(Role.ambiguous), count(Role.offTopic)]).toEqual([p.cifar, p.copies, p.good, p.ambiguous, p.offTopic]);
      expect(cifarSlots).toHaveLength(p.cifar);
      for (const [slot, of] of partner) {
        expect(roles[of]).toBe(roles[slot] === Role.pair ? Role.good : Role.cifar);
      }
      expect(partner.size).toBe(p.planted['cifar-close'] + p.planted['cifar-near'] + p.planted.pair);
    }
    const other = layoutCorpus(planScaleCorpus({ ...OPTS, seed: 12 }));
    const first = plan.ranked[0][0];
    expect(other.keywords.get(first)!.roles).not.toEqual(layout.keywords.get(first)!.roles);
  });

  it('splits each class into train and test and numbers every CIFAR-10 image once', () => {
    const seen = new Set<number>();
    for (const indices of layout.cifarIndex.values()) for (const g of indices) seen.add(g);
    expect(seen.size).toBe(OPTS.cifarTrain + OPTS.cifarTest);
    for (let c = 0; c < 10; c++) {
      expect(layout.cifarLabels.subarray(0, OPTS.cifarTrain).filter((l) => l === c)).toHaveLength(OPTS.cifarTrain / 10);
    }
    plan.ranked.forEach((names, c) => names.forEach((k) => layout.cifarIndex.get(k)!.forEach((g) => expect(layout.cifarLabels[g]).toBe(c))));
  });
});
