import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { check } from '../errors';
import { writeCifar10 } from '../formats/cifar10';
import { writeFileAtomic } from '../formats/files';
import { IMAGE_BYTES, writeTinyImages } from '../formats/tinyimages';
import { DEMO_DESIGN, type DemoKeyword, keywordPlan, type NearDuplicateKind } from './design';
import { FarApartSet } from './far-apart';
import { LOOKS, offTopicLook, render } from './looks';
import { nearCopy, sample, seededRng, shuffle } from './random';

export interface DemoCounts {
  tinyImages: number;
  cifarTrain: number;
  cifarTest: number;
  /** Second TinyImages copies of CIFAR-10 images, under another keyword of their class. */
  cifarDuplicates: number;
  /** New candidates the first labeler accepts: plain, ambiguous and planted near-duplicates. */
  good: number;
  /** Good candidates the second labeler rejects. */
  ambiguous: number;
  /** Candidates filed under a class keyword that show something else. */
  offTopic: number;
  /** Images under keywords of no class. */
  filler: number;
  nearDuplicates: Record<NearDuplicateKind, number>;
}

export interface DemoCorpusInfo {
  dir: string;
  tinyImagesDir: string;
  cifar10Dir: string;
  groundTruthFile: string;
  counts: DemoCounts;
}

export interface NearDuplicate {
  kind: NearDuplicateKind;
  ti: number;
  partner: { cifar: number } | { ti: number };
  distance: number;
}

/** What the demo corpus really contains; the simulated labeler and the tests read it. */
export interface GroundTruth {
  version: 1;
  seed: number;
  classes: string[];
  keywordClass: Record<string, number>;
  /** Per TinyImages index: the class the image shows, -1 for off-topic and filler images. */
  classOf: number[];
  ambiguous: number[];
  nearDuplicates: NearDuplicate[];
  /** Per CIFAR-10 image (train 0..4999, then test as 5000 + i): its TinyImages index. */
  cifarSource: number[];
  counts: DemoCounts;
}

type Role = 'cifar' | 'duplicate' | 'good' | 'ambiguous' | 'offTopic' | 'filler' | NearDuplicateKind;

interface Item {
  keyword: DemoKeyword;
  image: Uint8Array;
  classOf: number;
  role: Role;
}

interface Planted {
  kind: NearDuplicateKind;
  item: Item;
  partner: Item;
  distance: number;
}

/**
 * Writes a small, deterministic TinyImages + CIFAR-10 corpus with known answers
 * to `outDir` (tinyimages/, cifar10/, ground_truth.json). It is built in a temp
 * folder and renamed into place, so a crash leaves no half corpus.
 */
export async function generateDemoCorpus(outDir: string, opts: { seed?: number } = {}): Promise<DemoCorpusInfo> {
  const seed = opts.seed ?? DEMO_DESIGN.defaultSeed;
  const present = await readdir(outDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  check(present.length === 0, outDir, 'already exists and is not empty; remove it or pick another folder');
  const { items, train, test, truth } = buildCorpus(seed);
  await mkdir(path.dirname(outDir), { recursive: true });
  const tmp = `${outDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeTinyImages(path.join(tmp, 'tinyimages'), concat(items.map((item) => item.image)), items.map((item) => item.keyword));
    const split = (cifar: { item: Item; label: number }[]) => ({
      images: concat(cifar.map((c) => c.item.image)),
      labels: Uint8Array.from(cifar, (c) => c.label),
    });
    await writeCifar10(path.join(tmp, 'cifar10'), { classNames: [...DEMO_DESIGN.classes], train: split(train), test: split(test) });
    await writeFileAtomic(path.join(tmp, 'ground_truth.json'), Buffer.from(JSON.stringify(truth)));
    await rename(tmp, outDir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return corpusInfo(outDir, truth.counts);
}

/** The demo corpus in `dir`, generated with `seed` unless its ground_truth.json is already there. */
export async function ensureDemoCorpus(dir: string, seed: number): Promise<DemoCorpusInfo> {
  const existing = await readExisting(dir, seed);
  if (existing) return existing;
  try {
    return await generateDemoCorpus(dir, { seed });
  } catch (err) {
    // Another worker may have finished the same corpus first.
    const raced = await readExisting(dir, seed);
    if (raced) return raced;
    throw err;
  }
}

async function readExisting(dir: string, seed: number): Promise<DemoCorpusInfo | undefined> {
  const file = path.join(dir, 'ground_truth.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const truth = JSON.parse(text) as GroundTruth;
  check(truth.seed === seed, file, `the corpus was generated with seed ${truth.seed}, not ${seed}`);
  return corpusInfo(dir, truth.counts);
}

function corpusInfo(dir: string, counts: DemoCounts): DemoCorpusInfo {
  return {
    dir,
    tinyImagesDir: path.join(dir, 'tinyimages'),
    cifar10Dir: path.join(dir, 'cifar10'),
    groundTruthFile: path.join(dir, 'ground_truth.json'),
    counts,
  };
}

/** The whole corpus in memory: TinyImages items in file order, the CIFAR-10 splits and the ground truth. */
function buildCorpus(seed: number) {
  const rng = seededRng(String(seed));
  const { classes, keywords } = DEMO_DESIGN;
  const items: Item[] = [];
  const planted: Planted[] = [];
  const train: { item: Item; label: number }[] = [];
  const test: { item: Item; label: number }[] = [];
  const add = (keyword: DemoKeyword, role: Role, classOf: number, image: Uint8Array): Item => {
    const item = { keyword, image, classOf, role };
    items.push(item);
    return item;
  };

  // Images filed under one class, and images that look like it, are kept far apart.
  const groups = classes.map(() => new FarApartSet(DEMO_DESIGN.minDistance));
  classes.forEach((cls, c) => {
    const group = groups[c];
    const cifar: { item: Item; position: number }[] = [];
    keywords[cls].forEach((keyword, position) => {
      const plan = keywordPlan(position);
      const draw = (role: Role, classOf: number) => add(keyword, role, classOf, group.draw(() => render(LOOKS[keyword], rng)));
      const sources = times(plan.cifar, () => draw('cifar', c));
      const plain = times(plan.good - plan.cifarClose - plan.cifarNear - plan.pairs, () => draw('good', c));
      times(plan.offTopic, () => {
        const { look, looksLike } = offTopicLook(c, rng);
        add(keyword, 'offTopic', -1, group.draw(() => render(look, rng), looksLike === undefined ? [] : [groups[looksLike]]));
      });

      const plant = (kind: NearDuplicateKind, partner: Item) => {
        const { image, distance } = nearCopy(partner.image, DEMO_DESIGN.planted[kind], rng, `demo corpus: ${kind} copy`);
        group.add(image);
        planted.push({ kind, item: add(keyword, kind, c, image), partner, distance });
      };
      const [close, near] = [plan.cifarClose, plan.cifarNear];
      sample(rng, sources, close + near).forEach((source, i) => plant(i < close ? 'cifar-close' : 'cifar-near', source));
      // A pair is two good candidates: one plain, one its near-copy.
      const pairs = sample(rng, plain, plan.pairs);
      for (const original of pairs) plant('pair', original);
      sample(rng, plain.filter((item) => !pairs.includes(item)), plan.ambiguous).forEach((item) => (item.role = 'ambiguous'));
      cifar.push(...sources.map((item) => ({ item, position })));
    });

    // Second copies go under a less frequent keyword, so "most frequent keyword in its class" keeps the original.
    const last = keywords[cls].length - 1;
    for (const { item, position } of sample(rng, cifar.filter((s) => s.position < last), DEMO_DESIGN.duplicatesPerClass)) {
      add(keywords[cls][position + 1 + Math.floor(rng() * (last - position))], 'duplicate', c, item.image);
    }
    const shuffled = shuffle(rng, cifar.map(({ item }) => ({ item, label: c })));
    const { trainPerClass, testPerClass } = DEMO_DESIGN;
    train.push(...shuffled.slice(0, trainPerClass));
    test.push(...shuffled.slice(trainPerClass, trainPerClass + testPerClass));
  });

  const fillers = new FarApartSet(DEMO_DESIGN.minDistance);
  for (const keyword of DEMO_DESIGN.fillerKeywords) {
    times(DEMO_DESIGN.fillerPerKeyword, () => add(keyword, 'filler', -1, fillers.draw(() => render(LOOKS[keyword], rng))));
  }

  // TinyImages order: sorted by keyword, shuffled within a keyword. CIFAR-10: shuffled across classes.
  const byKeyword = new Map<DemoKeyword, Item[]>();
  for (const item of items) (byKeyword.get(item.keyword) ?? byKeyword.set(item.keyword, []).get(item.keyword)!).push(item);
  const ordered = [...byKeyword.keys()].sort().flatMap((keyword) => shuffle(rng, byKeyword.get(keyword)!));
  shuffle(rng, train);
  shuffle(rng, test);

  const ti = new Map(ordered.map((item, i) => [item, i]));
  const cifarIndex = new Map([...train, ...test].map(({ item }, i) => [item, i]));
  const count = (role: Role) => items.filter((item) => item.role === role).length;
  const counts: DemoCounts = {
    tinyImages: items.length,
    cifarTrain: train.length,
    cifarTest: test.length,
    cifarDuplicates: count('duplicate'),
    good: count('good') + count('ambiguous') + planted.length,
    ambiguous: count('ambiguous'),
    offTopic: count('offTopic'),
    filler: count('filler'),
    nearDuplicates: { 'cifar-close': count('cifar-close'), 'cifar-near': count('cifar-near'), pair: count('pair') },
  };
  const truth: GroundTruth = {
    version: 1,
    seed,
    classes: [...classes],
    keywordClass: Object.fromEntries(classes.flatMap((cls, c) => keywords[cls].map((keyword) => [keyword, c]))),
    classOf: ordered.map((item) => item.classOf),
    ambiguous: ordered.flatMap((item, i) => (item.role === 'ambiguous' ? [i] : [])),
    nearDuplicates: planted
      .map(({ kind, item, partner, distance }) => ({
        kind,
        ti: ti.get(item)!,
        partner: kind === 'pair' ? { ti: ti.get(partner)! } : { cifar: cifarIndex.get(partner)! },
        distance,
      }))
      .sort((a, b) => a.ti - b.ti),
    cifarSource: [...train, ...test].map(({ item }) => ti.get(item)!),
    counts,
  };
  return { items: ordered, train, test, truth };
}

function times<T>(n: number, make: () => T): T[] {
  return Array.from({ length: n }, make);
}

function concat(images: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(images.length * IMAGE_BYTES);
  images.forEach((image, i) => out.set(image, i * IMAGE_BYTES));
  return out;
}
