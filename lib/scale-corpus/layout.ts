import { sample, seededRng, shuffle } from '../demo/random';
import { type PlantedKind, SCALE_DESIGN } from './design';
import type { KeywordPlan, ScalePlan } from './plan';

/** What one image of a class keyword is. */
export const Role = { cifar: 0, copy: 1, good: 2, ambiguous: 3, offTopic: 4, 'cifar-close': 5, 'cifar-near': 6, pair: 7 } as const;
export type RoleCode = (typeof Role)[keyof typeof Role];

/** Where each image of a class keyword sits (seeded): the order of roles and the partners of the planted near-duplicates. */
export interface KeywordLayout {
  plan: KeywordPlan;
  /** Role of each image, in file order. */
  roles: Uint8Array;
  /** Slots of the keyword's CIFAR-10 sources, in file order: the `ordinal`-th source is at cifarSlots[ordinal]. */
  cifarSlots: number[];
  /** Planted slot → the slot it is a near-copy of (a CIFAR-10 source for cifar-close/-near, a good image for a pair). */
  partner: Map<number, number>;
}

/** Layouts of every class keyword, and each CIFAR-10 source's place in the CIFAR-10 files. */
export interface CorpusLayout {
  keywords: Map<string, KeywordLayout>;
  /** Per class keyword, the CIFAR-10 index (train i, then test as trainTotal + i) of its `ordinal`-th source. */
  cifarIndex: Map<string, Int32Array>;
  cifarLabels: Uint8Array;
}

const PLANTED = Object.keys(SCALE_DESIGN.plantedPerKeyword) as PlantedKind[];

/** The seeded arrangement of a planned corpus: roles within each class keyword, and the CIFAR-10 splits and order. */
export function layoutCorpus(plan: ScalePlan): CorpusLayout {
  const { seed } = plan.options;
  const keywords = new Map<string, KeywordLayout>();
  for (const p of plan.keywords) if (p.classIndex >= 0) keywords.set(p.keyword, layoutKeyword(p, seed));

  // Each class's sources shuffled and split; then each split shuffled across classes, as in the real CIFAR-10.
  const byName = new Map(plan.keywords.map((p) => [p.keyword, p]));
  const train: [string, number, number][] = [];
  const test: [string, number, number][] = [];
  plan.ranked.forEach((names, c) => {
    const sources = names.flatMap((keyword) => Array.from({ length: byName.get(keyword)!.cifar }, (_, o): [string, number, number] => [keyword, o, c]));
    shuffle(seededRng(`${seed}/cifar/${c}`), sources);
    train.push(...sources.slice(0, plan.perClass.train));
    test.push(...sources.slice(plan.perClass.train));
  });
  shuffle(seededRng(`${seed}/cifar/train`), train);
  shuffle(seededRng(`${seed}/cifar/test`), test);
  const cifarIndex = new Map(plan.ranked.flat().map((keyword) => [keyword, new Int32Array(byName.get(keyword)!.cifar)]));
  const cifarLabels = new Uint8Array(train.length + test.length);
  [...train, ...test].forEach(([keyword, ordinal, c], g) => {
    cifarIndex.get(keyword)![ordinal] = g;
    cifarLabels[g] = c;
  });
  return { keywords, cifarIndex, cifarLabels };
}

function layoutKeyword(p: KeywordPlan, seed: number): KeywordLayout {
  const rng = seededRng(`${seed}/${p.keyword}`);
  const counts: [RoleCode, number][] = [
    [Role.cifar, p.cifar], [Role.copy, p.copies], [Role.good, p.good], [Role.ambiguous, p.ambiguous], [Role.offTopic, p.offTopic],
    ...PLANTED.map((kind): [RoleCode, number] => [Role[kind], p.planted[kind]]),
  ];
  const roles = Uint8Array.from(shuffle(rng, counts.flatMap(([role, n]) => Array<number>(n).fill(role))));
  const slotsOf = (role: RoleCode) => [...roles.keys()].filter((slot) => roles[slot] === role);
  const cifarSlots = slotsOf(Role.cifar);
  const partner = new Map<number, number>();
  const near = [...slotsOf(Role['cifar-close']), ...slotsOf(Role['cifar-near'])];
  sample(rng, cifarSlots, near.length).forEach((source, i) => partner.set(near[i], source));
  const pairs = slotsOf(Role.pair);
  sample(rng, slotsOf(Role.good), pairs.length).forEach((original, i) => partner.set(pairs[i], original));
  return { plan: p, roles, cifarSlots, partner };
}
