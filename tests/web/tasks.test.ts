import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../lib/formats/npy';
import { type LabelPage, PageReader, splitPages, writePages } from '../../lib/labeling';
import { ArtifactStore } from '../../lib/store';
import { ImageSource } from '../../web/images';
import { type BuildSettings, TaskPlanner, taskSheet } from '../../web/tasks';
import { writeImages } from '../browser/helpers';

const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CANDIDATES = 'cache/buildKeywordSubsets/k1/candidate_images.npy';
const CIFAR = 'cache/extractSources/k0/cifar10_images.npy';
const range = (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i);
const ref = (p: string) => ({ path: p, sha256: '0'.repeat(64), bytes: 0 });
const withControls: BuildSettings = { seed: 11, classes: CLASSES, controls: { rate: 0.2, minAccuracy: 0.8, minControls: 10 } };

let dir: string;
let store: ArtifactStore;
let reader: PageReader;
let cat: LabelPage;
let cifarPixels: Uint8Array;
let candidatePixels: Uint8Array;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cifar101-tasks-'));
  store = new ArtifactStore(dir);
  await mkdir(path.join(dir, path.dirname(CANDIDATES)), { recursive: true });
  await mkdir(path.join(dir, path.dirname(CIFAR)), { recursive: true });
  candidatePixels = await writeImages(store.resolve(CANDIDATES), 20);
  cifarPixels = await writeImages(store.resolve(CIFAR), 100, 500);
  // CIFAR-10 row i is of class i % 10: cat (3) rows are 3, 13, …, 93.
  await writeNpy(path.join(dir, path.dirname(CIFAR), 'cifar10_labels.npy'), { dtype: 'int32', shape: [100], data: Int32Array.from(range(0, 100), (i) => i % 10) });
  cat = splitPages({ round: 1, className: 'cat', keyword: 'tabby', needed: 3, offered: range(1000, 12), rows: range(0, 12), references: [3, 13] })[0];
  const round2 = splitPages({ round: 2, className: 'cat', keyword: 'tabby', needed: 3, offered: [1000, 1001], rows: [0, 1], preselect: true, references: [3] })[0];
  await mkdir(path.join(dir, 'pages'));
  await writePages(path.join(dir, 'pages'), [cat, round2], { round: 1, images: ref(CANDIDATES), cifarImages: ref(CIFAR) });
  reader = await PageReader.open(store, ref('pages/pages.json'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('TaskPlanner', () => {
  it('hides controls among a round-1 page\'s candidates: the class\'s CIFAR-10 images but its references, and other classes\'', async () => {
    const items = await new TaskPlanner(store).items(withControls, cat, reader.index);
    // 12 candidates and 3 controls: a fifth of the 15 shown
    expect(items).toHaveLength(15);
    expect(TaskPlanner.shown(withControls, { round: 1, className: 'cat', count: 12 })).toBe(15);
    expect(items.flatMap((item) => (item.kind === 'candidate' ? [item.position] : []))).toEqual(range(0, 12));
    const controls = items.flatMap((item) => (item.kind === 'control' ? [item] : []));
    for (const c of controls) {
      expect(c.cifarRow % 10 === 3).toBe(c.expected);
      expect([3, 13]).not.toContain(c.cifarRow);
    }
    expect(new Set(controls.map((c) => c.expected))).toEqual(new Set([true, false]));
    // The same page shows the same list, in another server too.
    expect(await new TaskPlanner(store).items(withControls, cat, reader.index)).toEqual(items);
  });

  it('shows the candidates only without controls in the config, in round 2, and for a class CIFAR-10 does not have', async () => {
    const planner = new TaskPlanner(store);
    const plain = range(0, 12).map((position) => ({ kind: 'candidate', position }));
    expect(await planner.items({ ...withControls, controls: null }, cat, reader.index)).toEqual(plain);
    expect(await planner.items(withControls, { ...cat, round: 2 }, reader.index)).toEqual(plain);
    expect(await planner.items(withControls, { ...cat, className: 'unicorn' }, reader.index)).toEqual(plain);
    expect(TaskPlanner.shown(withControls, { round: 2, className: 'cat', count: 12 })).toBe(12);
  });

  it('draws the sheet in display order, a control with the CIFAR-10 image it is', async () => {
    const items = await new TaskPlanner(store).items(withControls, cat, reader.index);
    const images = new ImageSource(dir);
    try {
      const png = await taskSheet(images, { page: cat, index: reader.index, items }, { columns: 5, scale: 1 });
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([5 * 32, 3 * 32]);
      const tile = (i: number) => {
        const out = Buffer.alloc(3072);
        for (let y = 0; y < 32; y++) data.copy(out, y * 96, ((Math.floor(i / 5) * 32 + y) * info.width + (i % 5) * 32) * 3, ((Math.floor(i / 5) * 32 + y) * info.width + (i % 5) * 32 + 32) * 3);
        return out;
      };
      items.forEach((item, i) => {
        const want = item.kind === 'candidate' ? candidatePixels.subarray(cat.rows[item.position] * 3072, (cat.rows[item.position] + 1) * 3072) : cifarPixels.subarray(item.cifarRow * 3072, (item.cifarRow + 1) * 3072);
        expect(tile(i).equals(Buffer.from(want))).toBe(true);
      });
    } finally {
      await images.close();
    }
  });
});
