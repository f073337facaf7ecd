import { DEMO_DESIGN } from '../demo/design';
import type { RealKeywords } from './derive-keywords';
import REAL from './real-keywords.json';

/** The real keyword names and counts, from the published files (see derive-keywords.ts). */
export const REAL_KEYWORDS = REAL as unknown as RealKeywords;

/**
 * The numbers the full-shape corpus is built from. Everything the pipeline
 * should find in it (keyword counts per class, candidates, quotas, what each
 * check must catch) follows from them and the options, so tests derive their
 * expectations from here (through `planScaleCorpus`).
 */
export const SCALE_DESIGN = {
  classes: DEMO_DESIGN.classes,
  defaults: { images: 5_000_000, candidates: 589_711, cifarTrain: 50_000, cifarTest: 10_000, seed: 101 },

  /** CIFAR-10 images per class the real counts describe; other sizes scale every count by perClass / 6,000. */
  fullPerClass: 6000,
  /**
   * The keywords v4 counted (the real top 25 of each class) keep their real
   * counts, scaled down where they add up to more than this share of the class
   * (the published counts of some classes add up to more than 6,000). In the
   * real data the top 25 held 57,148 of 60,000 (95.2 %).
   */
  topShareMax: 0.97,
  /** Keywords only the v6 quotas name get at most this share of what the top 25 leave; the rest goes to a tail of smaller keywords. */
  quotedShareMax: 0.6,
  /** The tail's largest keyword holds at most this share of the tail; keyword counts then fall geometrically to 1. */
  tailFirstShare: 0.05,

  /** The pipeline's keyword lists and quotas (configs/v4.yaml, configs/v6.yaml), which the candidates must be able to fill. */
  topK: { v4: 25, v6: 50 },
  quotas: { v4: { imagesPerCount: 30, minFraction: 0.5 }, v6: { perClass: 200 } },

  /**
   * A top-50 keyword with a quota q (the larger of v4's and v6's) holds at
   * least ceil(goodFactor × q) + goodExtra plain good candidates besides its
   * pair originals: what the second labeler keeps that no near-duplicate check
   * can blacklist, so sampling fills every quota. Only small corpora meet this
   * floor: at the defaults keywords hold hundreds of candidates each.
   */
  goodFactor: 1.2,
  goodExtra: 1,
  /** Candidates that show something else (another class or nothing), as a fraction of a keyword's non-CIFAR images (rounded). */
  offTopicFraction: 0.3,
  /** Good candidates the second labeler rejects, as a fraction of the good ones (rounded). */
  ambiguousFraction: 0.05,
  /**
   * Candidates are spread over the top-50 keywords of all classes in
   * proportion to a weight: log-uniform in this range (fixed per keyword name)
   * times the keyword's full-size CIFAR-10 count to the power countExponent.
   */
  candidateWeight: [0.25, 2.5] as const,
  countExponent: 0.25,
  /** Images under one keyword at most (real TinyImages keywords hold up to about 3,000). */
  maxKeywordImages: 3000,
  /** Non-CIFAR images of a class keyword outside the top 50, log-uniform in this range at the default candidates (scaled with candidates). */
  tailKeywordImages: [20, 600] as const,

  /**
   * CIFAR-10 images filed a second time in TinyImages, per class, as a share of
   * the class: the copy sits under a keyword ranked below v4's top 25, the
   * source under one of the class's first `duplicateSourceRanks` keywords, so
   * the pipeline still assigns the source's keyword.
   */
  duplicateFraction: 0.01,
  duplicateSourceRanks: 5,

  /** Planted near-duplicates, in the first plantedKeywords keywords of each class (same bands as the demo). */
  plantedKeywords: 3,
  plantedPerKeyword: { 'cifar-close': 2, 'cifar-near': 1, pair: 1 },
  planted: DEMO_DESIGN.planted,

  /**
   * Every class-keyword image is a variant of one of a few rendered
   * prototypes of its look (shifted by up to `shift` pixels, maybe mirrored,
   * colours moved), squeezed into grain..255-grain plus independent uniform
   * noise in [-grain, grain] per byte: noise alone puts two images about
   * sqrt(3072 × 2 × grain² / 3) ≈ 2,700 apart in L2 (≈ 2,500 for the closest
   * of millions of pairs), so no two distinct images come near the pipeline's
   * 2,000 threshold by accident.
   */
  grain: 60,
  shift: 3,
  /** Prototypes per look: one per imagesPerPrototype images of a keyword, at most `prototypes`. */
  prototypes: 24,
  imagesPerPrototype: 8,
  /** Filler keyword sizes: 1 + floor(maxKeywordImages × u²), u uniform: mean ≈ 1,000, as 79 M images over 75,062 real keywords. */
  fillerSizeExponent: 2,

  /** Smallest CIFAR-10 class (train + test per class) the design works for: the first keywords must hold the planted partners. */
  minPerClass: 100,
} as const;

export type ScaleClass = (typeof SCALE_DESIGN.classes)[number];
export type PlantedKind = keyof typeof SCALE_DESIGN.plantedPerKeyword;

/**
 * Words for invented keyword names: a class's nouns with modifiers (the
 * published files name about 34 keywords per class; the tail needs more).
 */
export const NAME_PARTS = {
  modifiers: [
    'old', 'vintage', 'red', 'white', 'black', 'blue', 'small', 'large', 'toy', 'model', 'wild', 'young', 'flying', 'parked',
    'racing', 'rusty', 'painted', 'antique', 'modern', 'grey', 'brown', 'green', 'yellow', 'spotted', 'striped', 'giant',
    'baby', 'tame', 'rare', 'common', 'northern', 'southern', 'eastern', 'western', 'alpine', 'coastal', 'farm', 'city',
  ],
  nouns: {
    airplane: ['airplane', 'aircraft', 'jet', 'plane', 'airliner', 'glider', 'warplane'],
    automobile: ['car', 'sedan', 'hatchback', 'roadster', 'limousine', 'minivan', 'coupe'],
    bird: ['bird', 'finch', 'sparrow', 'warbler', 'thrush', 'starling', 'pigeon'],
    cat: ['cat', 'kitten', 'tomcat', 'feline', 'moggy', 'kitty', 'tabby'],
    deer: ['deer', 'stag', 'doe', 'fawn', 'buck', 'hind', 'elk'],
    dog: ['dog', 'puppy', 'hound', 'terrier', 'spaniel', 'retriever', 'poodle'],
    frog: ['frog', 'toad', 'treefrog', 'bullfrog', 'froglet', 'tadpole', 'anuran'],
    horse: ['horse', 'pony', 'mare', 'stallion', 'foal', 'colt', 'steed'],
    ship: ['ship', 'boat', 'vessel', 'steamer', 'trawler', 'freighter', 'liner'],
    truck: ['truck', 'lorry', 'van', 'pickup', 'tractor', 'hauler', 'tipper'],
  } satisfies Record<ScaleClass, string[]>,
  /** Syllables of filler keyword names (keywords of no class): pronounceable, never a class word. */
  syllables: ['ba', 'be', 'bo', 'da', 'de', 'di', 'fa', 'fe', 'ga', 'go', 'ha', 'ka', 'ke', 'ki', 'la', 'le', 'li', 'lo', 'ma', 'me', 'mi', 'mo', 'na', 'ne', 'ni', 'no', 'pa', 'pe', 'pi', 'ra', 're', 'ri', 'ro', 'sa', 'se', 'si', 'so', 'ta', 'te', 'ti', 'to', 'va', 've', 'vi', 'za', 'zo', 'lan', 'mar', 'ten', 'dor', 'vin', 'sel'],
} as const;
