import { seededRng } from '../demo/random';
import { check, InputError } from '../errors';
import { balancedQuotas, perKeywordQuotas } from '../quotas';
import { type PlantedKind, REAL_KEYWORDS, SCALE_DESIGN, type ScaleClass } from './design';
import { classNames, fillerNames } from './names';

export interface ScaleCorpusOptions {
  /** Total TinyImages images (default 5,000,000). */
  images: number;
  /** Target candidates in the top-50 keywords of the 10 classes (default 589,711). */
  candidates: number;
  /** CIFAR-10 training images, a tenth per class (default 50,000). */
  cifarTrain?: number;
  /** CIFAR-10 test images, a tenth per class (default 10,000). */
  cifarTest?: number;
  seed?: number;
}

export type ResolvedOptions = Required<ScaleCorpusOptions>;

/** What one keyword of the corpus holds. */
export interface KeywordPlan {
  keyword: string;
  /** Its class, -1 for a filler keyword. */
  classIndex: number;
  /** Rank in its class by CIFAR-10 count (count desc, then keyword asc, as the pipeline ranks), from 1; 0 without CIFAR-10 images. */
  rank: number;
  /** CIFAR-10 images whose TinyImages source this is. */
  cifar: number;
  /** Second copies of CIFAR-10 images of a higher-ranked keyword of the class. */
  copies: number;
  /** Plain good images: they show the class; the first and second labelers accept them. */
  good: number;
  /** Good images the second labeler rejects. */
  ambiguous: number;
  /** Images of another class or of nothing. */
  offTopic: number;
  planted: Record<PlantedKind, number>;
  /** Random images of a filler keyword. */
  filler: number;
  /** Whether its non-CIFAR images are candidates (a top-50 keyword of its class). */
  candidate: boolean;
  /** v4 and v6 quotas (0 outside the top 25 / top 50). */
  quota: { v4: number; v6: number };
  /** First TinyImages index and number of images. */
  start: number;
  size: number;
}

/** A CIFAR-10 image filed a second time: the `ordinal`-th CIFAR-10 source of `from`, copied under `into`. */
export interface CopyPlan {
  from: string;
  ordinal: number;
  into: string;
}

export interface ScaleCorpusCounts {
  tinyImages: number;
  cifarTrain: number;
  cifarTest: number;
  /** Second TinyImages copies of CIFAR-10 images. */
  cifarDuplicates: number;
  /** Non-CIFAR images under the top-50 keywords of the 10 classes (what the pipeline labels). */
  candidates: number;
  /** Candidates the first labeler accepts: plain, ambiguous and planted near-duplicates. */
  good: number;
  /** Good candidates the second labeler rejects. */
  ambiguous: number;
  /** Candidates that show another class or nothing. */
  offTopic: number;
  /** Non-CIFAR images under class keywords outside the top 50. */
  tail: number;
  /** Images under keywords of no class. */
  filler: number;
  keywords: { class: number; filler: number };
  nearDuplicates: Record<PlantedKind, number>;
}

export interface ScalePlan {
  options: ResolvedOptions;
  perClass: { train: number; test: number };
  /** Every keyword with images, in file order (byte order of the names). */
  keywords: KeywordPlan[];
  /** Per class, its keywords with CIFAR-10 images as the pipeline ranks them. */
  ranked: string[][];
  copies: CopyPlan[];
  counts: ScaleCorpusCounts;
}

const PLANTED_KINDS = Object.keys(SCALE_DESIGN.plantedPerKeyword) as PlantedKind[];
const NO_PLANTED: Record<PlantedKind, number> = { 'cifar-close': 0, 'cifar-near': 0, pair: 0 };

/** The options with defaults filled in; a bad value is an InputError naming the option. */
export function resolveOptions(opts: ScaleCorpusOptions): ResolvedOptions {
  const d = SCALE_DESIGN.defaults;
  const o = { images: opts.images, candidates: opts.candidates, cifarTrain: opts.cifarTrain ?? d.cifarTrain, cifarTest: opts.cifarTest ?? d.cifarTest, seed: opts.seed ?? d.seed };
  for (const key of ['images', 'candidates', 'cifarTrain', 'cifarTest'] as const) {
    check(Number.isSafeInteger(o[key]) && o[key] > 0, key, `must be a positive integer, got ${o[key]}`);
  }
  check(Number.isInteger(o.seed) && o.seed >= 0 && o.seed < 2 ** 32, 'seed', `must be an integer in 0..2^32-1, got ${o.seed}`);
  for (const key of ['cifarTrain', 'cifarTest'] as const) check(o[key] % 10 === 0, key, `${o[key]} does not split into 10 equal classes`);
  const perClass = (o.cifarTrain + o.cifarTest) / 10;
  check(perClass >= SCALE_DESIGN.minPerClass, 'cifarTrain', `${o.cifarTrain} + ${o.cifarTest} test images give ${perClass} per class; the design needs at least ${SCALE_DESIGN.minPerClass}`);
  check(o.candidates <= o.images, 'candidates', `${o.candidates} is more than the ${o.images} images of the whole corpus`);
  check(o.cifarTrain + o.cifarTest <= o.images, 'images', `${o.images} cannot hold the ${o.cifarTrain + o.cifarTest} CIFAR-10 images`);
  return o;
}

/**
 * The corpus for these options: every keyword, in file order, with what it
 * holds and where it starts. A pure function of the options without the seed
 * (the seed decides the pictures and their order within a keyword). Options
 * the design cannot meet are an InputError naming the option.
 */
export function planScaleCorpus(opts: ScaleCorpusOptions): ScalePlan {
  const options = resolveOptions(opts);
  const d = SCALE_DESIGN;
  const perClassTotal = (options.cifarTrain + options.cifarTest) / 10;
  const scale = options.candidates / d.defaults.candidates;
  const classPlans: KeywordPlan[] = [];
  const ranked: string[][] = [];
  const copies: CopyPlan[] = [];
  const weights: number[] = [];
  const fullCountOf = new Map<string, number>();

  d.classes.forEach((cls, classIndex) => {
    const full = fullCounts(cls);
    const counts = scaleCounts(full.map((k) => k.count), perClassTotal);
    const plans = full.map(({ keyword, count }, i): KeywordPlan => {
      fullCountOf.set(keyword, count);
      return { ...emptyPlan(keyword, classIndex), cifar: counts[i] };
    });
    const order = plans.filter((p) => p.cifar > 0).sort((a, b) => b.cifar - a.cifar || (a.keyword < b.keyword ? -1 : 1));
    order.forEach((p, i) => (p.rank = i + 1));
    ranked.push(order.map((p) => p.keyword));

    const top25 = order.slice(0, d.topK.v4);
    const top50 = order.slice(0, d.topK.v6);
    const { imagesPerCount, minFraction } = d.quotas.v4;
    const v4 = new Map(perKeywordQuotas(top25.map((p) => [p.keyword, p.cifar]), imagesPerCount, minFraction));
    const v6 = new Map(balancedQuotas(top50.map((p) => [p.keyword, p.cifar]), d.quotas.v6.perClass));
    for (const p of top50) {
      p.candidate = true;
      p.quota = { v4: v4.get(p.keyword) ?? 0, v6: v6.get(p.keyword) ?? 0 };
      if (p.rank <= d.plantedKeywords) {
        p.planted = { ...d.plantedPerKeyword };
        check(p.cifar >= p.planted['cifar-close'] + p.planted['cifar-near'], 'cifarTrain', `too few CIFAR-10 images per class: keyword ${p.keyword} holds ${p.cifar}, too few to plant near-duplicates of`);
      }
    }

    // Copies: from the first ranks, into keywords below v4's top 25 (then those without CIFAR-10 images at this size).
    const sources = order.slice(0, d.duplicateSourceRanks);
    const pool = [...order.slice(d.topK.v4), ...plans.filter((p) => p.cifar === 0)];
    const n = pool.length === 0 ? 0 : Math.round(d.duplicateFraction * perClassTotal);
    for (let i = 0; i < n; i++) {
      const from = sources[i % sources.length];
      const into = pool[Math.floor(((i + 0.5) * pool.length) / n)];
      copies.push({ from: from.keyword, ordinal: Math.floor(i / sources.length), into: into.keyword });
      into.copies++;
    }
    for (const p of plans) {
      if (!p.candidate) {
        const [lo, hi] = d.tailKeywordImages;
        splitNonCifar(p, Math.round(logUniform(`scale-corpus/tail/${p.keyword}`, lo, hi) * scale));
      }
    }
    classPlans.push(...plans);
  });
  checkCopies(copies, classPlans);

  const candidates = classPlans.filter((p) => p.candidate);
  for (const p of candidates) {
    const [lo, hi] = d.candidateWeight;
    weights.push(logUniform(`scale-corpus/weight/${p.keyword}`, lo, hi) * fullCountOf.get(p.keyword)! ** d.countExponent);
  }
  const floors = candidates.map(candidateFloor);
  const caps = candidates.map((p) => d.maxKeywordImages - p.cifar - p.copies);
  candidates.forEach((p, i) => check(floors[i] <= caps[i], 'cifarTrain', `keyword ${p.keyword} needs ${floors[i]} candidates beside its ${p.cifar + p.copies} CIFAR-10 images; more than ${d.maxKeywordImages} images in all`));
  allocate(options.candidates, weights, floors, caps).forEach((m, i) => splitNonCifar(candidates[i], m));

  const classImages = classPlans.reduce((n, p) => n + sizeOf(p), 0);
  check(
    classImages <= options.images,
    'images',
    `${options.images} is too few: the CIFAR-10 sources, copies, candidates and other class-keyword images alone are ${classImages} (raise images or lower candidates)`,
  );
  const taken = new Set(classPlans.map((p) => p.keyword));
  const fillers = fillerPlans(options.images - classImages, taken);
  const keywords = [...classPlans.filter((p) => sizeOf(p) > 0), ...fillers].sort((a, b) => (a.keyword < b.keyword ? -1 : 1));
  let start = 0;
  for (const p of keywords) {
    p.start = start;
    p.size = sizeOf(p);
    start += p.size;
  }
  return {
    options,
    perClass: { train: options.cifarTrain / 10, test: options.cifarTest / 10 },
    keywords,
    ranked,
    copies,
    counts: countsOf(options, keywords, copies.length),
  };
}

/**
 * The full-size (6,000 per class) CIFAR-10 count of every keyword of a class,
 * largest first: the real v4 counts (scaled down where they add up to more
 * than topShareMax of the class), then the keywords only the v6 quotas name
 * (counts estimated from their quotas), then a geometric tail down to 1 under
 * the remaining real names and invented ones.
 */
export function fullCounts(cls: ScaleClass): { keyword: string; count: number }[] {
  const cached = fullCountsCache.get(cls);
  if (cached) return cached;
  const d = SCALE_DESIGN;
  const real = REAL_KEYWORDS.keywords[cls];
  const top = real.filter(([, count]) => count !== null).map(([keyword, count]) => ({ keyword, count: count! }));
  const room = Math.floor(d.topShareMax * d.fullPerClass);
  const topSum = top.reduce((s, k) => s + k.count, 0);
  const factor = Math.min(1, room / topSum);
  if (factor < 1) scaleCounts(top.map((k) => k.count), room).forEach((c, i) => (top[i].count = c));
  let below = Math.min(...top.map((k) => k.count));
  let budget = d.fullPerClass - top.reduce((s, k) => s + k.count, 0);

  // A keyword only the v6 quotas name: quota × (top-50 total / 200), the total estimated from the keywords with both numbers.
  const both = real.filter(([, count, quota]) => count !== null && quota !== null);
  const perQuota = (factor * both.reduce((s, [, c]) => s + c!, 0)) / both.reduce((s, [, , q]) => s + q!, 0);
  const quoted = real
    .filter(([, count, quota]) => count === null && quota !== null)
    .map(([keyword, , quota]) => ({ keyword, count: Math.max(1, Math.min(below - 1, Math.round(quota! * perQuota))) }));
  const quotedRoom = Math.floor(d.quotedShareMax * budget);
  const quotedSum = quoted.reduce((s, k) => s + k.count, 0);
  if (quotedSum > quotedRoom) scaleCounts(quoted.map((k) => k.count), quotedRoom).forEach((c, i) => (quoted[i].count = Math.max(1, c)));
  budget -= quoted.reduce((s, k) => s + k.count, 0);
  below = Math.min(below, ...quoted.map((k) => k.count));

  // The tail: geometric from `first` down to 1 until the class holds fullPerClass.
  const first = Math.max(1, Math.min(below - 1, Math.floor(budget * d.tailFirstShare)));
  const ratio = 1 - first / budget;
  const taken = new Set(Object.values(REAL_KEYWORDS.keywords).flatMap((list) => list.map(([k]) => k)));
  const names = real.filter(([, count, quota]) => count === null && quota === null).map(([k]) => k)[Symbol.iterator]();
  const invented = classNames(cls, taken);
  const tail: { keyword: string; count: number }[] = [];
  for (let left = budget, j = 0; left > 0; j++) {
    const count = Math.min(left, Math.max(1, Math.round(first * ratio ** j)));
    tail.push({ keyword: names.next().value ?? invented.next().value!, count });
    left -= count;
  }
  const all = [...top, ...quoted, ...tail];
  fullCountsCache.set(cls, all);
  return all;
}
const fullCountsCache = new Map<ScaleClass, { keyword: string; count: number }[]>();

/** `counts` scaled to sum to `total`: floors, then one more for the largest remainders (ties: earlier). */
function scaleCounts(counts: number[], total: number): number[] {
  const sum = counts.reduce((a, b) => a + b, 0);
  const scaled = counts.map((c) => ({ floor: Math.floor((c * total) / sum), rest: (c * total) % sum }));
  const missing = total - scaled.reduce((s, x) => s + x.floor, 0);
  [...scaled.keys()]
    .sort((a, b) => scaled[b].rest - scaled[a].rest || a - b)
    .slice(0, missing)
    .forEach((i) => scaled[i].floor++);
  return scaled.map((x) => x.floor);
}

/** Uniform in log space between lo and hi, fixed by `key`. */
function logUniform(key: string, lo: number, hi: number): number {
  return lo * (hi / lo) ** seededRng(key)();
}

function emptyPlan(keyword: string, classIndex: number): KeywordPlan {
  return {
    keyword, classIndex, rank: 0, cifar: 0, copies: 0, good: 0, ambiguous: 0, offTopic: 0, planted: { ...NO_PLANTED },
    filler: 0, candidate: false, quota: { v4: 0, v6: 0 }, start: 0, size: 0,
  };
}

function sizeOf(p: KeywordPlan): number {
  return p.cifar + p.copies + p.good + p.ambiguous + p.offTopic + PLANTED_KINDS.reduce((s, k) => s + p.planted[k], 0) + p.filler;
}

/** Splits `m` non-CIFAR images of a class keyword into off-topic, planted, ambiguous and plain good ones. */
function splitNonCifar(p: KeywordPlan, m: number): KeywordPlan {
  const d = SCALE_DESIGN;
  const planted = PLANTED_KINDS.reduce((s, k) => s + p.planted[k], 0);
  p.offTopic = Math.round(d.offTopicFraction * m);
  const good = m - p.offTopic;
  p.ambiguous = p.candidate ? Math.round(d.ambiguousFraction * good) : 0;
  p.good = good - planted - p.ambiguous;
  return p;
}

/**
 * The fewest candidates a top-50 keyword can have: enough plain good ones,
 * pair originals aside (they may be blacklisted), for its larger quota.
 */
function candidateFloor(p: KeywordPlan): number {
  const d = SCALE_DESIGN;
  const quota = Math.max(p.quota.v4, p.quota.v6);
  const need = quota > 0 ? Math.ceil(d.goodFactor * quota) + d.goodExtra : 0;
  const trial = { ...p, planted: { ...p.planted } };
  let m = 0;
  while (splitNonCifar(trial, m).good - trial.planted.pair < need) m++;
  return m;
}

/**
 * `total` split into integers proportional to `weights`, each within
 * [floor, cap]: the largest scale whose clamped shares fit (bisection), then
 * the units left one by one by largest fraction. InputError when impossible.
 */
function allocate(total: number, weights: number[], floors: number[], caps: number[]): number[] {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const least = sum(floors);
  const most = sum(caps);
  if (total < least) throw new InputError(`${total} is too few: the quotas of the top-50 keywords need at least ${least}`, 'candidates');
  if (total > most) throw new InputError(`${total} is too many: the top-50 keywords hold at most ${most} (${SCALE_DESIGN.maxKeywordImages} images per keyword)`, 'candidates');
  const clamp = (x: number, i: number) => Math.max(floors[i], Math.min(caps[i], x));
  const share = (scale: number) => weights.map((w, i) => clamp(Math.floor(scale * w), i));
  let [lo, hi] = [0, Math.max(...caps.map((c, i) => (c + 1) / weights[i]))];
  for (let step = 0; step < 200 && hi - lo > 1e-9 * hi; step++) {
    const mid = (lo + hi) / 2;
    if (sum(share(mid)) <= total) lo = mid;
    else hi = mid;
  }
  const out = share(lo);
  const order = [...weights.keys()].sort((a, b) => {
    const fa = lo * weights[a] - Math.floor(lo * weights[a]);
    const fb = lo * weights[b] - Math.floor(lo * weights[b]);
    return fb - fa || a - b;
  });
  for (let left = total - sum(out); left > 0; ) {
    for (const i of order) {
      if (left > 0 && out[i] < caps[i]) {
        out[i]++;
        left--;
      }
    }
  }
  return out;
}

/** A copy must not change its source's keyword: the pipeline picks the keyword with the most CIFAR-10 matches in the class. */
function checkCopies(copies: CopyPlan[], plans: KeywordPlan[]): void {
  const byName = new Map(plans.map((p) => [p.keyword, p]));
  for (const { from, ordinal, into } of copies) {
    const [source, target] = [byName.get(from)!, byName.get(into)!];
    if (ordinal >= source.cifar || target.cifar + target.copies >= source.cifar) {
      throw new Error(`scale corpus design: copy ${ordinal} of ${from} (${source.cifar}) into ${into} (${target.cifar} + ${target.copies} copies) would change its keyword`);
    }
  }
}

/** Filler keywords of no class holding `total` images, sizes 1..maxKeywordImages skewed small. */
function fillerPlans(total: number, taken: Set<string>): KeywordPlan[] {
  const d = SCALE_DESIGN;
  const rng = seededRng('scale-corpus/filler-sizes');
  const names = fillerNames(taken);
  const plans: KeywordPlan[] = [];
  for (let left = total; left > 0; ) {
    const size = Math.min(left, 1 + Math.floor(d.maxKeywordImages * rng() ** d.fillerSizeExponent));
    plans.push({ ...emptyPlan(names.next().value!, -1), filler: size });
    left -= size;
  }
  return plans;
}

function countsOf(options: ResolvedOptions, keywords: KeywordPlan[], copies: number): ScaleCorpusCounts {
  const total = (pick: (p: KeywordPlan) => number, which = (_p: KeywordPlan) => true) => keywords.reduce((s, p) => s + (which(p) ? pick(p) : 0), 0);
  const candidate = (p: KeywordPlan) => p.candidate;
  const planted = (p: KeywordPlan) => PLANTED_KINDS.reduce((s, k) => s + p.planted[k], 0);
  const nonCifar = (p: KeywordPlan) => p.good + p.ambiguous + p.offTopic + planted(p);
  return {
    tinyImages: options.images,
    cifarTrain: options.cifarTrain,
    cifarTest: options.cifarTest,
    cifarDuplicates: copies,
    candidates: total(nonCifar, candidate),
    good: total((p) => p.good + p.ambiguous + planted(p), candidate),
    ambiguous: total((p) => p.ambiguous),
    offTopic: total((p) => p.offTopic, candidate),
    tail: total(nonCifar, (p) => p.classIndex >= 0 && !p.candidate),
    filler: total((p) => p.filler),
    keywords: { class: keywords.filter((p) => p.classIndex >= 0).length, filler: keywords.filter((p) => p.classIndex < 0).length },
    nearDuplicates: Object.fromEntries(PLANTED_KINDS.map((k) => [k, total((p) => p.planted[k])])) as Record<PlantedKind, number>,
  };
}
