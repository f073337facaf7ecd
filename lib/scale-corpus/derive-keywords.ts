/**
 * Derives `real-keywords.json` (the real TinyImages keyword names of the ten
 * classes, with the counts the published files give) from a checkout of the
 * published CIFAR-10.1 files:
 *
 *   npx tsx lib/scale-corpus/derive-keywords.ts [../shared/cifar10.1]
 *
 * The generator reads only the committed JSON, so a clone with nothing beside
 * it generates the same corpus.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { check } from '../errors';
import { readNpy } from '../formats/npy';

/** One real keyword: its v4 CIFAR-10 count and v6 quota where the files give them (null where not). */
export type RealKeyword = [keyword: string, v4Count: number | null, v6Quota: number | null];

export interface RealKeywords {
  source: string;
  classes: string[];
  /** Per class: v4-counted keywords by count (desc), then v6-only ones by quota (desc), then names only; ties by name. */
  keywords: Record<string, RealKeyword[]>;
}

/**
 * Keywords no published file places in a class: accepted by the first labeler
 * (keys of tinyimage_good_indices.json) but in neither the v4 nor the v6
 * lists, and appended after the last class's block of that file.
 */
const BY_HAND: Record<string, string> = { gamecock: 'bird', true_toad: 'frog', rowboat: 'ship' };

const SOURCE = 'github.com/modestyachts/CIFAR-10.1 @ d9982abb0bfc4846b8d13a11e66b887d946205d0: other_data/ and datasets/cifar10.1_v4_labels.npy';

/** Reads the published files in `shared` and returns every keyword they name, with its class and counts. */
export async function deriveRealKeywords(shared: string): Promise<RealKeywords> {
  const other = (name: string) => path.join(shared, 'other_data', name);
  const json = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, 'utf8')) as T;
  const countsV4 = await json<Record<string, number>>(other('keyword_counts_v4.json'));
  const orderV4 = await json<string[]>(other('keywords_v4.json'));
  const quotasV6 = await json<Record<string, Record<string, number>>>(other('keyword_counts_v6.json'));
  const releaseV4 = await json<Record<string, number[]>>(other('cifar10.1_v4_ti_indices_per_keyword.json'));
  const good = await json<Record<string, number[]>>(other('tinyimage_good_indices.json'));
  const labelsFile = path.join(shared, 'datasets', 'cifar10.1_v4_labels.npy');
  const labels = (await readNpy(labelsFile)).data as Int32Array;
  const classes = Object.keys(quotasV6);
  check(classes.length === 10, other('keyword_counts_v6.json'), `expected 10 classes, found ${classes.length}`);

  const classOf = new Map<string, string>();
  const place = (keyword: string, cls: string | undefined) => {
    if (cls !== undefined && !classOf.has(keyword)) classOf.set(keyword, cls);
  };
  // 1. The v4 release: labels in release order, the concatenation of the per-keyword lists.
  let at = 0;
  for (const [keyword, indices] of Object.entries(releaseV4)) {
    const seen = new Set(labels.subarray(at, at + indices.length));
    at += indices.length;
    check(seen.size <= 1, labelsFile, `keyword ${keyword} has images of ${seen.size} classes in the v4 release`);
    if (seen.size === 1) place(keyword, classes[[...seen][0]]);
  }
  check(at === labels.length, labelsFile, `${labels.length} labels, but the v4 release lists ${at} images`);
  // 2. keywords_v4.json lists the top 25 of each class in one block: a keyword with no release images takes its block's class.
  for (let block = 0; block < orderV4.length; block += 25) {
    const members = orderV4.slice(block, block + 25);
    const known = new Set(members.flatMap((k) => (classOf.has(k) ? [classOf.get(k)!] : [])));
    check(known.size === 1, other('keywords_v4.json'), `block ${block / 25} spans ${known.size} classes`);
    for (const k of members) place(k, [...known][0]);
  }
  // 3. keyword_counts_v6.json is per class (`cruiser` is under two classes there; the v4 release already placed it).
  for (const cls of classes) for (const k of Object.keys(quotasV6[cls])) place(k, cls);
  // 4. tinyimage_good_indices.json lists keywords in class blocks: one between two of the same class takes theirs.
  const goodKeys = Object.keys(good);
  goodKeys.forEach((k, i) => {
    const [before, after] = [classOf.get(goodKeys[i - 1]), classOf.get(goodKeys[i + 1])];
    if (before === after) place(k, before);
  });
  for (const [k, cls] of Object.entries(BY_HAND)) place(k, cls);
  const unplaced = goodKeys.filter((k) => !classOf.has(k));
  check(unplaced.length === 0, other('tinyimage_good_indices.json'), `no class for ${unplaced.join(', ')}`);

  const keywords: Record<string, RealKeyword[]> = {};
  for (const cls of classes) {
    const entries = [...classOf].filter(([, c]) => c === cls).map(([k]): RealKeyword => [k, countsV4[k] ?? null, quotasV6[cls][k] ?? null]);
    entries.sort((a, b) => (b[1] ?? -1) - (a[1] ?? -1) || (b[2] ?? -1) - (a[2] ?? -1) || (a[0] < b[0] ? -1 : 1));
    keywords[cls] = entries;
  }
  return { source: SOURCE, classes, keywords };
}

/** The JSON as committed: one keyword per line, so a diff shows what changed. */
export function formatRealKeywords(real: RealKeywords): string {
  const classes = real.classes.map((cls) => `    ${JSON.stringify(cls)}: [\n${real.keywords[cls].map((k) => `      ${JSON.stringify(k)}`).join(',\n')}\n    ]`);
  return `{\n  "source": ${JSON.stringify(real.source)},\n  "classes": ${JSON.stringify(real.classes)},\n  "keywords": {\n${classes.join(',\n')}\n  }\n}\n`;
}

async function main() {
  const shared = process.argv[2] ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'cifar10.1');
  const out = path.join(__dirname, 'real-keywords.json');
  const real = await deriveRealKeywords(shared);
  await writeFile(out, formatRealKeywords(real));
  const total = Object.values(real.keywords).reduce((n, list) => n + list.length, 0);
  process.stderr.write(`${out}: ${total} keywords of ${real.classes.length} classes\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
