import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../lib/formats/files';
import { writeNpy } from '../lib/formats/npy';
import { TinyImages } from '../lib/formats/tinyimages';
import { sha256File } from '../lib/hash';
import { ArtifactStore, type ArtifactRef, type StageOutput } from '../lib/store';
import { pythonJson, type ActivityDeps, type ExtractSummary } from './common';
import { runStage } from './context';
import type { Sample } from './sample-release';

const VERSION = 1;

/** A grid of the release's images (1 px gaps), for a person to look at. */
export async function contactSheet(images: Uint8Array, count: number, columns: number): Promise<Buffer> {
  const cols = Math.max(1, Math.min(columns, count));
  const rows = Math.max(1, Math.ceil(count / cols));
  const width = cols * 33 + 1;
  const height = rows * 33 + 1;
  const canvas = Buffer.alloc(width * height * 3, 255);
  for (let i = 0; i < count; i++) {
    const x0 = 1 + (i % cols) * 33;
    const y0 = 1 + Math.floor(i / cols) * 33;
    for (let r = 0; r < 32; r++) {
      const src = i * 3072 + r * 96;
      canvas.set(images.subarray(src, src + 96), ((y0 + r) * width + x0) * 3);
    }
  }
  return sharp(canvas, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 9 }).toBuffer();
}

/**
 * Stage 9: the release files as the published CIFAR-10.1 has them (data and
 * labels .npy as np.save writes them, the TinyImages indices as json.dump
 * writes them), a contact sheet and a manifest of SHA-256s; then a copy in
 * `<outDir>/releases/<release>/`, swapped in whole.
 */
export function exportRelease({ store }: ActivityDeps) {
  return async function exportRelease(input: { release: string; sample: StageOutput; extract: StageOutput<ExtractSummary>; outDir: string; columns: number }) {
    return runStage(async () => {
      const { release, sample, extract, columns } = input;
      const key = ArtifactStore.key('exportRelease', VERSION, { release, sample: sample.key, extract: extract.key, columns });
      const prefix = `cifar10.1_${release}`;
      const exported = await store.stage('exportRelease', key, async (dir) => {
        const { tiIndices, labels } = await store.readJson<Sample>(sample.files['sample.json']);
        const files = [`${prefix}_labels.npy`, `${prefix}_ti_indices.json`, `${prefix}_ti_indices_per_keyword.json`];
        await writeNpy(path.join(dir, files[0]), { dtype: 'int32', shape: [labels.length], data: Int32Array.from(labels) });
        await writeFileAtomic(path.join(dir, files[1]), Buffer.from(pythonJson(tiIndices)));
        await copyFile(store.resolve(sample.files['ti_indices_per_keyword.json']), path.join(dir, files[2]));
        // A release verified rather than sampled (the published v4) carries its verification report.
        if (sample.files['verification.json']) {
          await copyFile(store.resolve(sample.files['verification.json']), path.join(dir, 'verification.json'));
          files.push('verification.json');
        }
        // Without TinyImages (a build from the published files) there are no pixels to export.
        if (extract.summary.tinyDir) {
          const tiny = await TinyImages.open(extract.summary.tinyDir);
          let images: Uint8Array;
          try {
            images = await tiny.readIndicesHWC(tiIndices);
          } finally {
            await tiny.close();
          }
          files.push(`${prefix}_data.npy`, `${prefix}_contact_sheet.png`);
          await writeNpy(path.join(dir, `${prefix}_data.npy`), { dtype: 'uint8', shape: [tiIndices.length, 32, 32, 3], data: images });
          await writeFileAtomic(path.join(dir, `${prefix}_contact_sheet.png`), await contactSheet(images, tiIndices.length, columns));
        }
        const manifest = {
          release,
          images: tiIndices.length,
          files: Object.fromEntries(await Promise.all(files.map(async (f) => [f, await sha256File(path.join(dir, f))]))),
        };
        await writeFileAtomic(path.join(dir, 'manifest.json'), Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
        return { files: [...files, 'manifest.json'], summary: { images: tiIndices.length } };
      });
      const releaseDir = await publishFiles(store, exported.files, path.join(input.outDir, 'releases', release));
      return { ...exported, summary: { ...exported.summary, releaseDir } };
    });
  };
}

/**
 * Copies stored files into `target` (names relative to it), replacing the
 * folder whole, unless it already holds exactly these files.
 */
export async function publishFiles(store: ArtifactStore, files: Record<string, ArtifactRef>, target: string, rename_ = (name: string) => name): Promise<string> {
  if (await holdsExactly(target, Object.fromEntries(Object.entries(files).map(([name, ref]) => [rename_(name), ref.sha256])))) return target;
  const tmp = `${target}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const [name, ref] of Object.entries(files)) await copyFile(store.resolve(ref), path.join(tmp, rename_(name)));
  const old = `${target}.old-${process.pid}`;
  await rename(target, old).catch(() => undefined);
  await rename(tmp, target);
  await rm(old, { recursive: true, force: true });
  return target;
}

/** Whether folder `target` holds exactly these files (name → SHA-256), nothing more. */
export async function holdsExactly(target: string, files: Record<string, string>): Promise<boolean> {
  const names = await readdir(target).catch(() => null);
  if (!names || names.length !== Object.keys(files).length) return false;
  for (const [name, sha] of Object.entries(files)) {
    if ((await sha256File(path.join(target, name)).catch(() => null)) !== sha) return false;
  }
  return true;
}
