/**
 * The numbers the demo corpus is built from. The pipeline's expected results
 * (keyword counts, quotas, what each check must catch) follow from them, so
 * they live in one table.
 */
export const DEMO_DESIGN = {
  classes: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  /** Six TinyImages keywords per class, most frequent first. `cruiser` is a car here; the real data had it under car and ship. */
  keywords: {
    airplane: ['airliner', 'jetliner', 'biplane', 'stealth_bomber', 'jumbo_jet', 'fighter_aircraft'],
    automobile: ['sedan', 'coupe', 'convertible', 'station_wagon', 'cruiser', 'hatchback'],
    bird: ['sparrow', 'house_finch', 'robin', 'cardinal', 'bluebird', 'ostrich'],
    cat: ['tabby_cat', 'kitten', 'house_cat', 'tomcat', 'siamese_cat', 'persian_cat'],
    deer: ['fallow_deer', 'roe_deer', 'red_deer', 'white_tailed_deer', 'elk', 'mule_deer'],
    dog: ['golden_retriever', 'beagle', 'dalmatian', 'german_shepherd', 'poodle', 'pug'],
    frog: ['bullfrog', 'tree_frog', 'green_frog', 'toad', 'leopard_frog', 'wood_frog'],
    horse: ['stallion', 'mare', 'racehorse', 'pony', 'palomino', 'arabian_horse'],
    ship: ['container_ship', 'cargo_ship', 'ocean_liner', 'tanker', 'battleship', 'ferry'],
    truck: ['dump_truck', 'fire_truck', 'tractor_trailer', 'pickup_truck', 'garbage_truck', 'tow_truck'],
  },
  /** CIFAR-10 images per keyword, in keyword order: 600 per class. */
  keywordWeights: [200, 140, 100, 80, 50, 30],
  /** Each class's 600 CIFAR-10 images, shuffled, split into train and test (then shuffled across classes). */
  trainPerClass: 500,
  testPerClass: 100,
  /** The release size per class the candidate supply is sized for (v6). */
  releasePerClass: 200,
  /** Good candidates per keyword: ceil(goodFactor × quota) + goodExtra, quota = ceil(releasePerClass × weight / 600). */
  goodFactor: 1.5,
  goodExtra: 12,
  /** Off-topic candidates per keyword, as a fraction of its good ones (rounded). */
  offTopicFraction: 0.2,
  /** Good candidates the second labeler rejects, as a fraction of the good ones (rounded). */
  ambiguousFraction: 0.05,
  /** CIFAR-10 images per class that appear a second time, under a less frequent keyword of the class. */
  duplicatesPerClass: 30,
  /** Planted near-duplicates: cifar-close in every keyword; cifar-near and pairs in the first few keywords of each class. */
  cifarClosePerKeyword: 2,
  plantedKeywordsPerClass: 3,
  /** Per-byte perturbation magnitudes and the L2 band each kind must land in. */
  planted: {
    'cifar-close': { shift: [5, 5], band: [250, 300] },
    'cifar-near': { shift: [20, 24], band: [1100, 1400] },
    pair: { shift: [12, 24], band: [600, 1400] },
  },
  /**
   * Every image is at least this far (L2 over 3072 bytes) from every other image filed under its class's
   * keywords or looking like its class (filler: under the filler keywords), planted ones and exact copies aside.
   */
  minDistance: 3000,
  /** Keywords of no class, so TinyImages holds more than the classes' keywords. */
  fillerKeywords: ['sunset', 'mountain', 'text', 'forest', 'beach', 'snow', 'skyline', 'flower'],
  fillerPerKeyword: 45,
  defaultSeed: 101,
} as const;

export type DemoClass = (typeof DEMO_DESIGN.classes)[number];
export type NearDuplicateKind = keyof typeof DEMO_DESIGN.planted;
export type ClassKeyword = (typeof DEMO_DESIGN.keywords)[DemoClass][number];
export type DemoKeyword = ClassKeyword | (typeof DEMO_DESIGN.fillerKeywords)[number];

/** How many images of each kind a class keyword gets, by its position in the class's keyword list. */
export function keywordPlan(position: number) {
  const d = DEMO_DESIGN;
  const weight = d.keywordWeights[position];
  const quota = Math.ceil((d.releasePerClass * weight) / d.keywordWeights.reduce((a, b) => a + b, 0));
  const good = Math.ceil(d.goodFactor * quota) + d.goodExtra;
  const planted = position < d.plantedKeywordsPerClass ? 1 : 0;
  return {
    cifar: weight,
    quota,
    /** All candidates the first labeler accepts: plain, ambiguous and planted near-duplicates (both halves of a pair). */
    good,
    offTopic: Math.round(d.offTopicFraction * good),
    ambiguous: Math.round(d.ambiguousFraction * good),
    cifarClose: d.cifarClosePerKeyword,
    cifarNear: planted,
    pairs: planted,
  };
}
