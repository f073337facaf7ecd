import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { NearDuplicate } from '../demo/generate';
import { nearCopy, seededRng } from '../demo/random';
import { check } from '../errors';
import { writeCifar10 } from '../formats/cifar10';
import { writeFileAtomic } from '../formats/files';
import { npyPreamble, writeNpy } from '../formats/npy';
import { hwcToTiny, IMAGE_BYTES, METADATA_BYTES, TinyImagesWriter } from '../formats/tinyimages';
import type { GroundTruthV2 } from '../ground-truth';
import { sha256Json } from '../hash';
import { SCALE_DESIGN } from './design';
import { FillerImages, Pictures } from './images';
import { type CorpusLayout, type KeywordLayout, layoutCorpus, Role } from './layout';
import { planScaleCorpus, type ResolvedOptions, type ScaleCorpusCounts, type ScaleCorpusOptions, type ScalePlan } from './plan';

/** Bump when a change to the generator changes its output: a corpus of another version is not reused. */
const GENERATOR = 'scale-corpus/1';
const FILES = {
  truth: 'ground_truth.json',
  classOf: 'ground_truth_class.npy',
  ambiguous: 'ground_truth_ambiguous.npy',
  cifarSource: 'ground_truth_cifar_source.npy',
} as const;
/** Room left for ground_truth.json in scaleCorpusBytes: its keyword map, near-duplicates and copies (45 KB at the defaults). */
const TRUTH_JSON_ALLOWANCE = 256 << 10;

export interface ScaleCorpusInfo {
  dir: string;
  tinyImagesDir: string;
  cifar10Dir: string;
  groundTruthFile: string;
  counts: ScaleCorpusCounts;
  /** Bytes on disk of all its files. */
  bytes: number;
}

export interface ScaleCorpusProgress {
  /** Called after each keyword with the images written so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Aborting stops the generation and removes its temp folder. */
  signal?: AbortSignal;
}

/**
 * The corpus in `dir` for these options: generated unless already complete
 * there (then instant). It is written in a temp folder beside `dir` and
 * renamed into place, so a crash leaves no half corpus; a temp folder of a
 * killed run is removed by the next call. A `dir` holding a corpus of other
 * options (or of another generator version) is an InputError: it is never
 * overwritten.
 */
export async function ensureScaleCorpus(dir: string, opts: ScaleCorpusOptions, progress: ScaleCorpusProgress = {}): Promise<ScaleCorpusInfo> {
  const plan = planScaleCorpus(opts);
  const hash = optionsHash(plan.options);
  const existing = await readExisting(dir, plan, hash);
  if (existing) return existing;
  const parent = path.dirname(path.resolve(dir));
  await mkdir(parent, { recursive: true });
  await removeStaleTemps(dir);
  const needed = bytesNeeded(plan);
  const { bavail, bsize } = await statfs(parent);
  check(bavail * bsize >= needed, dir, `the corpus needs ${gb(needed)} GB and ${parent} has ${gb(bavail * bsize)} GB free`);

  const tmp = `${path.resolve(dir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeCorpus(tmp, plan, hash, progress);
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    // Another process may have finished the same corpus first.
    const raced = await readExisting(dir, plan, hash).catch(() => undefined);
    if (raced) return raced;
    throw err;
  }
  return (await readExisting(dir, plan, hash))!;
}

/** Bytes on disk the corpus for these options needs: the binary files exactly, plus room for ground_truth.json. */
export function scaleCorpusBytes(opts: ScaleCorpusOptions): number {
  return bytesNeeded(planScaleCorpus(opts));
}

function bytesNeeded(plan: ScalePlan): number {
  return Object.values(expectedSizes(plan)).reduce((a, b) => a + b, 0) + TRUTH_JSON_ALLOWANCE;
}

/** The hash a corpus records of the options (and generator version) it was written for. */
export function optionsHash(options: ResolvedOptions): string {
  return sha256Json({ generator: GENERATOR, ...options });
}

function gb(bytes: number): string {
  return (bytes / 1e9).toFixed(1);
}

/** Sizes of the binary files, by path relative to the corpus folder. */
function expectedSizes(plan: ScalePlan): Record<string, number> {
  const n = plan.options.images;
  const { cifarTrain, cifarTest } = plan.options;
  const record = 1 + IMAGE_BYTES;
  const npy = (dtype: 'int8' | 'int32', count: number) => npyPreamble(dtype, [count]).length + count * (dtype === 'int8' ? 1 : 4);
  return {
    'tinyimages/tiny_images.bin': n * IMAGE_BYTES,
    'tinyimages/tiny_metadata.bin': n * METADATA_BYTES,
    ...Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`cifar10/data_batch_${i}.bin`, (cifarTrain / 5) * record])),
    'cifar10/test_batch.bin': cifarTest * record,
    'cifar10/batches.meta.txt': Buffer.byteLength(`${SCALE_DESIGN.classes.join('\n')}\n`),
    [FILES.classOf]: npy('int8', n),
    [FILES.ambiguous]: npy('int32', plan.counts.ambiguous),
    [FILES.cifarSource]: npy('int32', cifarTrain + cifarTest),
  };
}

/**
 * The info of the complete corpus in `dir`, or undefined when `dir` is
 * missing or empty. Anything else there is an InputError: a corpus of other
 * options, or files of the wrong size.
 */
async function readExisting(dir: string, plan: ScalePlan, hash: string): Promise<ScaleCorpusInfo | undefined> {
  const file = path.join(dir, FILES.truth);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const present = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
    check(present.length === 0, dir, 'exists and is not a scale corpus (no ground_truth.json); remove it or pick another folder');
    return undefined;
  }
  const truth = JSON.parse(text) as GroundTruthV2 & { counts: ScaleCorpusCounts };
  check(
    truth.version === 2 && truth.optionsHash === hash,
    dir,
    `holds a corpus of other options (${truth.generator ?? 'version 1'}: ${JSON.stringify(truth.options ?? {})}), not ${GENERATOR}: ${JSON.stringify(plan.options)}; remove it or pick another folder`,
  );
  let bytes = (await stat(file)).size;
  for (const [name, size] of Object.entries(expectedSizes(plan))) {
    const found = await stat(path.join(dir, name)).then((s) => s.size, () => -1);
    check(found === size, path.join(dir, name), found < 0 ? 'missing: the corpus is damaged; remove it' : `${found} bytes, expected ${size}: the corpus is damaged; remove it`);
    bytes += size;
  }
  return {
    dir,
    tinyImagesDir: path.join(dir, 'tinyimages'),
    cifar10Dir: path.join(dir, 'cifar10'),
    groundTruthFile: file,
    counts: truth.counts,
    bytes,
  };
}

/** Removes temp folders beside `dir` left by runs whose process is gone. */
async function removeStaleTemps(dir: string): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  const prefix = `${path.basename(path.resolve(dir))}.tmp-`;
  for (const name of await readdir(parent)) {
    const pid = name.startsWith(prefix) ? Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]) : NaN;
    if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) await rm(path.join(parent, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes the whole corpus into `out`, streaming TinyImages keyword by keyword in file order. */
async function writeCorpus(out: string, plan: ScalePlan, hash: string, progress: ScaleCorpusProgress): Promise<void> {
  const { options } = plan;
  const layout = layoutCorpus(plan);
  const cifar = { images: new Uint8Array(layout.cifarLabels.length * IMAGE_BYTES), source: new Int32Array(layout.cifarLabels.length) };
  const copiesInto = new Map<string, { from: string; ordinal: number }[]>();
  for (const c of plan.copies) (copiesInto.get(c.into) ?? copiesInto.set(c.into, []).get(c.into)!).push(c);
  const nearDuplicates: NearDuplicate[] = [];
  const cifarCopies: { ti: number; cifar: number }[] = [];
  const ambiguous: number[] = [];
  const filler = new FillerImages(options.seed);
  const pictures = new Pictures(options.seed);
  const copySources = new Set(plan.copies.map((c) => c.from));

  await mkdir(out, { recursive: true });
  const tiny = await TinyImagesWriter.create(path.join(out, 'tinyimages'));
  const classOf = await ByteAppender.create(path.join(out, FILES.classOf), npyPreamble('int8', [options.images]));
  try {
    for (const p of plan.keywords) {
      if (progress.signal?.aborted) throw progress.signal.reason ?? new Error('aborted');
      if (p.classIndex < 0) {
        await tiny.append(p.keyword, filler.images(p.start, p.size));
        await classOf.append(new Uint8Array(p.size).fill(0xff)); // -1: shows no class
      } else {
        const k = classKeyword(layout.keywords.get(p.keyword)!, layout, copiesInto.get(p.keyword) ?? [], pictures, options.seed);
        // Prototypes are kept only for keywords a later copy may draw from.
        if (!copySources.has(p.keyword)) pictures.forget(p.keyword);
        for (const [slot, g] of k.cifar) {
          cifar.images.set(k.images.subarray(slot * IMAGE_BYTES, (slot + 1) * IMAGE_BYTES), g * IMAGE_BYTES);
          cifar.source[g] = p.start + slot;
        }
        for (const [slot, g] of k.copies) cifarCopies.push({ ti: p.start + slot, cifar: g });
        for (const d of k.planted) nearDuplicates.push({ ...d, ti: p.start + d.ti, partner: 'ti' in d.partner ? { ti: p.start + d.partner.ti } : d.partner });
        for (const slot of k.ambiguous) ambiguous.push(p.start + slot);
        await tiny.append(p.keyword, hwcToTiny(k.images, new Uint8Array(k.images.length), p.size));
        await classOf.append(new Uint8Array(k.classOf.buffer));
      }
      progress.onProgress?.(p.start + p.size, options.images);
    }
  } catch (err) {
    await Promise.allSettled([tiny.close(), classOf.close()]);
    throw err;
  }
  await Promise.all([tiny.close(), classOf.close()]);

  const { train: perTrain } = plan.perClass;
  const trainTotal = perTrain * 10;
  const labels = layout.cifarLabels;
  await writeCifar10(path.join(out, 'cifar10'), {
    classNames: [...SCALE_DESIGN.classes],
    train: { images: cifar.images.subarray(0, trainTotal * IMAGE_BYTES), labels: labels.subarray(0, trainTotal) },
    test: { images: cifar.images.subarray(trainTotal * IMAGE_BYTES), labels: labels.subarray(trainTotal) },
  });
  await writeNpy(path.join(out, FILES.ambiguous), { dtype: 'int32', shape: [ambiguous.length], data: Int32Array.from(ambiguous) });
  await writeNpy(path.join(out, FILES.cifarSource), { dtype: 'int32', shape: [cifar.source.length], data: cifar.source });
  const truth: GroundTruthV2 = {
    version: 2,
    generator: GENERATOR,
    optionsHash: hash,
    options: { ...options },
    seed: options.seed,
    classes: [...SCALE_DESIGN.classes],
    tinyImages: options.images,
    keywordClass: Object.fromEntries(plan.keywords.filter((p) => p.classIndex >= 0).map((p) => [p.keyword, p.classIndex])),
    files: { classOf: FILES.classOf, ambiguous: FILES.ambiguous, cifarSource: FILES.cifarSource },
    nearDuplicates: nearDuplicates.sort((a, b) => a.ti - b.ti),
    cifarCopies,
    counts: plan.counts as unknown as Record<string, unknown>,
  };
  // Written last: a corpus folder with ground_truth.json is complete.
  await writeFileAtomic(path.join(out, FILES.truth), Buffer.from(JSON.stringify(truth)));
}

/** One class keyword's images (HWC, file order) and what they are; TinyImages indices relative to the keyword's start. */
function classKeyword(k: KeywordLayout, layout: CorpusLayout, copies: { from: string; ordinal: number }[], pictures: Pictures, seed: number) {
  const { plan: p, roles, partner } = k;
  const images = new Uint8Array(p.size * IMAGE_BYTES);
  const classOf = new Int8Array(p.size).fill(p.classIndex);
  const cifar: [slot: number, cifar: number][] = k.cifarSlots.map((slot, ordinal) => [slot, layout.cifarIndex.get(p.keyword)![ordinal]]);
  const copied: [slot: number, cifar: number][] = [];
  const planted: NearDuplicate[] = [];
  const ambiguous: number[] = [];
  let copy = 0;
  roles.forEach((role, slot) => {
    const at = slot * IMAGE_BYTES;
    if (role === Role.copy) {
      // The same picture as the source: its keyword's picture at the source's slot, drawn again.
      const { from, ordinal } = copies[copy++];
      const source = layout.keywords.get(from)!;
      images.set(picture(source, source.cifarSlots[ordinal], pictures, seed).image, at);
      copied.push([slot, layout.cifarIndex.get(from)![ordinal]]);
    } else if (role !== Role['cifar-close'] && role !== Role['cifar-near'] && role !== Role.pair) {
      const { image, shows } = picture(k, slot, pictures, seed);
      images.set(image, at);
      classOf[slot] = shows;
      if (role === Role.ambiguous) ambiguous.push(slot);
    }
  });
  // Near-copies last: their partners are drawn by now.
  for (const [slot, of] of partner) {
    const kind = (['cifar-close', 'cifar-near', 'pair'] as const).find((kd) => Role[kd] === roles[slot])!;
    const rng = seededRng(`${seed}/${p.keyword}/${slot}`);
    const { image, distance } = nearCopy(images.subarray(of * IMAGE_BYTES, (of + 1) * IMAGE_BYTES), SCALE_DESIGN.planted[kind], rng, `scale corpus: ${kind} copy in ${p.keyword}`);
    images.set(image, slot * IMAGE_BYTES);
    const partnerRef = kind === 'pair' ? { ti: of } : { cifar: layout.cifarIndex.get(p.keyword)![k.cifarSlots.indexOf(of)] };
    planted.push({ kind, ti: slot, partner: partnerRef, distance });
  }
  return { images, classOf, cifar, copies: copied, planted, ambiguous };
}

/** The picture at `slot` of a class keyword (not a planted one): a function of the seed, keyword and slot only. */
function picture(k: KeywordLayout, slot: number, pictures: Pictures, seed: number): { image: Uint8Array; shows: number } {
  const { keyword, classIndex, size } = k.plan;
  const rng = seededRng(`${seed}/${keyword}/${slot}`);
  if (k.roles[slot] === Role.offTopic) return pictures.offTopic(classIndex, rng);
  const { prototypes, imagesPerPrototype } = SCALE_DESIGN;
  return { image: pictures.ofKeyword(keyword, classIndex, Math.min(prototypes, Math.ceil(size / imagesPerPrototype)), rng), shows: classIndex };
}

/** Appends bytes to a file after a fixed preamble, through a 1 MiB buffer. */
class ByteAppender {
  private buffer = new Uint8Array(1 << 20);
  private used = 0;

  private constructor(private readonly fh: FileHandle) {}

  static async create(file: string, preamble: Uint8Array): Promise<ByteAppender> {
    const fh = await open(file, 'wx');
    try {
      await fh.writeFile(preamble);
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new ByteAppender(fh);
  }

  async append(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(bytes.length - at, this.buffer.length - this.used);
      this.buffer.set(bytes.subarray(at, at + n), this.used);
      [this.used, at] = [this.used + n, at + n];
      if (this.used === this.buffer.length) await this.flush();
    }
  }

  async close(): Promise<void> {
    try {
      await this.flush();
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
  }

  private async flush(): Promise<void> {
    // writeFile, not write: it goes on until every byte is written.
    await this.fh.writeFile(this.buffer.subarray(0, this.used));
    this.used = 0;
  }
}
