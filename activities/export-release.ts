import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { contactSheet } from '../lib/contact-sheet';
import { writeFileAtomic } from '../lib/formats/files';
import { writeNpy } from '../lib/formats/npy';
import { TinyImages } from '../lib/formats/tinyimages';
import { sha256File } from '../lib/hash';
import { CORPUS_FILES, readPoolRows } from '../lib/pool';
import { publishFiles } from '../lib/publish';
import type { ReleaseSample } from '../lib/sampling';
import { pythonJson } from '../lib/stage-files';
import { stageKeys } from '../lib/stage-keys';
import type { StageOutput } from '../lib/store';
import type { ExtractSummary, PoolSummary } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';


/**
 * Stage 9: the release files as the published CIFAR-10.1 has them (data and
 * labels .npy as np.save writes them, the TinyImages indices as json.dump
 * writes them), a contact sheet and a manifest of SHA-256s; then (unless
 * `publish` is false: publishRelease does it with the audit files) a copy in
 * `<outDir>/releases/<release>/`, swapped in whole.
 */
export function exportRelease({ store, versions }: ActivityDeps) {
  return async function exportRelease(input: { release: string; sample: StageOutput; extract: StageOutput<ExtractSummary>; pool?: StageOutput<PoolSummary>; outDir: string; columns: number; publish?: boolean }) {
    return runStage(async () => {
      const { release, sample, extract, pool, columns } = input;
      const prefix = `cifar10.1_${release}`;
      const exported = await store.keyedStage(stageKeys.exportRelease(release, sample, extract, columns, pool, versions), async (dir) => {
        const { tiIndices, labels } = await store.readJson<ReleaseSample>(sample.files['sample.json']);
        const files = [`${prefix}_labels.npy`, `${prefix}_ti_indices.json`, `${prefix}_ti_indices_per_keyword.json`];
        await writeNpy(path.join(dir, files[0]), { dtype: 'int32', shape: [labels.length], data: Int32Array.from(labels) });
        await writeFileAtomic(path.join(dir, files[1]), Buffer.from(pythonJson(tiIndices)));
        await copyFile(store.resolve(sample.files['ti_indices_per_keyword.json']), path.join(dir, files[2]));
        // A release from a pool says where each image came from, and how it was brought to 32×32.
        if (pool) {
          const rows = await readPoolRows(store.resolve(pool.files[`corpus/${CORPUS_FILES.rows}`]));
          const sources = {
            resize: pool.summary.resize,
            renderedWith: pool.summary.engine,
            images: tiIndices.map((row, position) => ({ position, ...rows[row] })),
          };
          await writeFileAtomic(path.join(dir, `${prefix}_sources.json`), Buffer.from(JSON.stringify(sources, null, 2)));
          files.push(`${prefix}_sources.json`);
        }
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
          await writeFileAtomic(path.join(dir, `${prefix}_contact_sheet.png`), await contactSheet(images, { height: 32, width: 32, channels: 3 }, { columns, gap: 1, compressionLevel: 9 }));
        }
        const manifest = {
          release,
          images: tiIndices.length,
          files: Object.fromEntries(await Promise.all(files.map(async (f) => [f, await sha256File(path.join(dir, f))]))),
        };
        await writeFileAtomic(path.join(dir, 'manifest.json'), Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
        return { files: [...files, 'manifest.json'], summary: { images: tiIndices.length } };
      });
      if (input.publish === false) return { ...exported, summary: { ...exported.summary, releaseDir: '' } };
      const releaseDir = await publishFiles(store, exported.files, path.join(input.outDir, 'releases', release));
      return { ...exported, summary: { ...exported.summary, releaseDir } };
    });
  };
}
