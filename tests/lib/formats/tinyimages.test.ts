import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import { hwcToTiny, TinyImages, TinyImagesWriter, tinyToHWC, writeTinyImages } from '../../../lib/formats/tinyimages';

const tempDir = () => mkdtemp(path.join(tmpdir(), 'tiny-'));

/** n HWC images whose every byte encodes (image, r, c, ch). */
function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n * 3072);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < 32; r++)
      for (let c = 0; c < 32; c++) for (let ch = 0; ch < 3; ch++) out[i * 3072 + (r * 32 + c) * 3 + ch] = (i * 41 + r * 7 + c * 3 + ch * 101) & 255;
  return out;
}

async function withTiny<T>(dir: string, fn: (t: TinyImages) => Promise<T>): Promise<T> {
  const t = await TinyImages.open(dir);
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}

describe('layout conversion', () => {
  it('puts (r, c, ch) at r + 32c + 1024ch and back', () => {
    const hwc = pattern(3);
    const tiny = hwcToTiny(hwc, new Uint8Array(hwc.length), 3);
    for (const [i, r, c, ch] of [[0, 0, 0, 0], [1, 5, 9, 2], [2, 31, 0, 1], [2, 0, 31, 2], [1, 31, 31, 0]]) {
      expect(tiny[i * 3072 + r + 32 * c + 1024 * ch]).toBe(hwc[i * 3072 + (r * 32 + c) * 3 + ch]);
    }
    expect(tinyToHWC(tiny, new Uint8Array(tiny.length), 3)).toEqual(hwc);
  });

  it('refuses buffers too small for n images', () => {
    expect(() => tinyToHWC(new Uint8Array(3072), new Uint8Array(6144), 2)).toThrow(RangeError);
  });
});

describe('TinyImages', () => {
  const keywords = ['airliner', 'airliner', 'biplane', 'cruiser', 'cruiser', 'cruiser', 'sedan', 'sedan_car', 'ship'];

  it('writes the real byte layout and reads it back', async () => {
    const dir = await tempDir();
    const hwc = pattern(keywords.length);
    await writeTinyImages(dir, hwc, keywords);
    expect((await readdir(dir)).sort()).toEqual(['tiny_images.bin', 'tiny_metadata.bin']);

    const bin = await readFile(path.join(dir, 'tiny_images.bin'));
    expect(bin[4 * 3072 + 7 + 32 * 20 + 1024 * 2]).toBe(hwc[4 * 3072 + (7 * 32 + 20) * 3 + 2]);
    const meta = await readFile(path.join(dir, 'tiny_metadata.bin'));
    expect(meta.length).toBe(keywords.length * 768);
    expect(meta.toString('latin1', 3 * 768, 3 * 768 + 80)).toBe('cruiser'.padEnd(80, ' '));

    await withTiny(dir, async (t) => {
      expect(t.count).toBe(keywords.length);
      expect(await t.keyword(7)).toBe('sedan_car');
      expect(await t.readRaw(2, 3)).toEqual(new Uint8Array(bin.subarray(2 * 3072, 5 * 3072)));
      expect(await t.readHWC(0, keywords.length)).toEqual(hwc);
      const indices = [8, 3, 4, 5, 5, 0, 1];
      const picked = await t.readIndicesHWC(indices);
      indices.forEach((idx, k) => expect(picked.subarray(k * 3072, (k + 1) * 3072)).toEqual(hwc.subarray(idx * 3072, (idx + 1) * 3072)));
      await expect(t.readRaw(8, 2)).rejects.toThrow(/tiny_images\.bin: images \[8, 10\) out of range: the file has 9/);
      await expect(t.keyword(-1)).rejects.toThrow(InputError);
    });
  });

  it('finds keyword ranges by binary search, duplicates and misses included', async () => {
    const rng = seedrandom('ranges');
    const words = ['a', 'a b', 'ab', 'b', 'ba', 'bb', 'c', 'cruiser', 'z'];
    for (const n of [1, 2, 7, 100, 1000]) {
      const kws = Array.from({ length: n }, () => words[Math.floor(rng() * words.length)]).sort();
      const dir = await tempDir();
      await writeTinyImages(dir, new Uint8Array(n * 3072), kws);
      await withTiny(dir, async (t) => {
        for (const w of [...words, 'aa', '0', '~']) {
          const lo = kws.findIndex((k) => k >= w);
          const expectedLo = lo === -1 ? n : lo;
          const expectedHi = expectedLo + kws.filter((k) => k === w).length;
          expect(await t.keywordRange(w), `${w} in ${n}`).toEqual([expectedLo, expectedHi]);
        }
      });
    }
  });

  it('rejects an unsorted metadata file met during the search', async () => {
    const dir = await tempDir();
    await writeTinyImages(dir, new Uint8Array(5 * 3072), ['a', 'b', 'c', 'd', 'e']);
    const meta = Buffer.alloc(5 * 768);
    ['e', 'd', 'c', 'b', 'a'].forEach((k, i) => meta.write(k.padEnd(80, ' '), i * 768, 'latin1'));
    await writeFile(path.join(dir, 'tiny_metadata.bin'), meta);
    await withTiny(dir, async (t) => {
      await expect(t.keywordRange('b')).rejects.toThrow(/tiny_metadata\.bin: records are not sorted by keyword/);
    });
  });

  it('rejects unsorted or malformed keywords when writing', async () => {
    const dir = await tempDir();
    await expect(writeTinyImages(dir, new Uint8Array(2 * 3072), ['b', 'a'])).rejects.toThrow(/keywords not sorted: "b" before "a" at image 1/);
    await expect(writeTinyImages(dir, new Uint8Array(3072), ['tail '])).rejects.toThrow(InputError);
    await expect(writeTinyImages(dir, new Uint8Array(3072), ['x'.repeat(81)])).rejects.toThrow(/printable ASCII/);
    await expect(writeTinyImages(dir, new Uint8Array(100), ['a'])).rejects.toThrow(/100 image bytes for 1 keywords/);
  });

  it('streams images past its write buffer, and a failed write leaves no files behind', async () => {
    const dir = await tempDir();
    const n = 600; // more than two buffers of 256
    const hwc = pattern(n);
    const writer = await TinyImagesWriter.create(dir);
    for (let i = 0; i < n; i++) await writer.appendImage(hwc.subarray(i * 3072, (i + 1) * 3072), `k${String(i >> 5).padStart(3, '0')}`);
    expect(await readdir(dir)).toHaveLength(2); // only temporary names so far
    expect((await readdir(dir)).every((f) => f.includes('.tmp-'))).toBe(true);
    await writer.close();
    expect((await readdir(dir)).sort()).toEqual(['tiny_images.bin', 'tiny_metadata.bin']);
    await withTiny(dir, async (t) => {
      expect(await t.readHWC(0, n)).toEqual(hwc);
      expect(await t.keywordRange('k010')).toEqual([320, 352]);
    });

    const failed = await tempDir();
    await expect(writeTinyImages(failed, pattern(300), [...Array(299).fill('b'), 'a'])).rejects.toThrow(/keywords not sorted: "b" before "a" at image 299/);
    expect(await readdir(failed)).toEqual([]);
  });

  describe('open rejects bad datasets, naming the file and sizes', () => {
    const make = async (images: number, records: number) => {
      const dir = await tempDir();
      await writeFile(path.join(dir, 'tiny_images.bin'), Buffer.alloc(images));
      await writeFile(path.join(dir, 'tiny_metadata.bin'), Buffer.alloc(records));
      return dir;
    };

    it('missing file', async () => {
      const empty = await tempDir();
      await expect(TinyImages.open(empty)).rejects.toThrow(`${path.join(empty, 'tiny_images.bin')}: file not found`);
    });
    it('images not a multiple of 3072', async () => {
      const dir = await make(3072 + 5, 768);
      await expect(TinyImages.open(dir)).rejects.toThrow(`${path.join(dir, 'tiny_images.bin')}: size 3077 is not a multiple of 3072`);
    });
    it('metadata not a multiple of 768', async () => {
      const dir = await make(3072, 700);
      await expect(TinyImages.open(dir)).rejects.toThrow(`${path.join(dir, 'tiny_metadata.bin')}: size 700 is not a multiple of 768`);
    });
    it('counts differ', async () => {
      const dir = await make(2 * 3072, 3 * 768);
      await expect(TinyImages.open(dir)).rejects.toThrow(/tiny_metadata\.bin: 3 records \(2304 bytes\) but .*tiny_images\.bin has 2 images \(6144 bytes\)/);
    });
  });
});

describe('TinyImagesWriter', () => {
  it('streams keyword by keyword the same files writeTinyImages writes at once', async () => {
    const hwc = pattern(7);
    const keywords = ['airliner', 'airliner', 'cat', 'cat', 'cat', 'kitty-cat', 'zebra'];
    const whole = await tempDir();
    await writeTinyImages(whole, hwc, keywords);
    const streamed = path.join(await tempDir(), 'tinyimages');
    // A batch smaller than one keyword: every append writes, in order.
    const writer = await TinyImagesWriter.create(streamed, { batchBytes: 4000 });
    const tiny = hwcToTiny(hwc, new Uint8Array(hwc.length), 7);
    for (const [keyword, lo, hi] of [['airliner', 0, 2], ['cat', 2, 4], ['cat', 4, 5], ['kitty-cat', 5, 6], ['zebra', 6, 7]] as const) {
      await writer.append(keyword, tiny.slice(lo * 3072, hi * 3072));
    }
    await writer.close();
    expect(writer.count).toBe(7);
    for (const file of ['tiny_images.bin', 'tiny_metadata.bin']) {
      expect((await readFile(path.join(streamed, file))).equals(await readFile(path.join(whole, file))), file).toBe(true);
    }
  });

  it('refuses keywords out of order, partial images and an existing file', async () => {
    const dir = await tempDir();
    const writer = await TinyImagesWriter.create(dir);
    await writer.append('dog', new Uint8Array(3072));
    await expect(writer.append('cat', new Uint8Array(3072))).rejects.toThrow(/keywords not sorted: "dog" before "cat" at image 1/);
    await expect(writer.append('dog', new Uint8Array(100))).rejects.toThrow(InputError);
    await expect(writer.append('dog ', new Uint8Array(3072))).rejects.toThrow(/printable ASCII/);
    await writer.close();
    await expect(TinyImagesWriter.create(dir)).rejects.toThrow(/EEXIST/);
  });
});
