import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { nearestClassMean, nearestNeighbour, pool8, pool8Bytes } from '../lib/baselines';
import { InputError } from '../lib/errors';
import { evaluatePredictions } from '../lib/evaluation';
import { writeNpy } from '../lib/formats/npy';
import { agreementTable, formatAgreementTable, type AcceptedMap } from '../lib/agreement';
import { publishFiles } from '../lib/publish';
import { loadImages, loadInts } from '../lib/stage-files';
import { stageKeys } from '../lib/stage-keys';
import type { ArtifactStore, StageOutput } from '../lib/store';
import type { ExtractSummary } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';


export interface EvaluationSummary {
  models: number;
  table?: Array<{ model: string; originalAccuracy: number; newAccuracy: number }>;
  skipped?: string;
}

/**
 * Stage 10: accuracy of models on CIFAR-10 test against the new release.
 * With a predictions folder (CIFAR-10.1's model_predictions layout), its
 * models; without, two baselines trained here on the CIFAR-10 training images.
 */
export function evaluateModels({ store, versions }: ActivityDeps) {
  return async function evaluateModels(input: {
    release: string;
    exported: StageOutput;
    extract: StageOutput<ExtractSummary>;
    predictionsDir?: string;
    originalLabels?: string;
    /** The report is also copied to `<outDir>/evaluation/<release>/`. */
    outDir: string;
    /** The two labeling rounds, for their agreement (absent in a build from the published files). */
    labels?: StageOutput;
    confirmed?: StageOutput;
  }) {
    return runStage(async (heartbeat, context) => {
      const { release, exported, extract, predictionsDir, originalLabels, outDir } = input;
      const keyed = stageKeys.evaluateModels(release, exported, extract, { predictionsDir, originalLabels }, input.labels?.key, input.confirmed?.key, versions);
      const evaluated = await store.keyedStage<EvaluationSummary>(keyed, async (dir) => {
        const releaseLabels = store.resolve(exported.files[`cifar10.1_${release}_labels.npy`]);
        let predictions = predictionsDir;
        let testLabels = originalLabels;
        if (!predictions && !extract.summary.tinyDir) {
          return { files: [], summary: { models: 0, skipped: 'no predictions given, and no pixels to train the baselines on' } };
        }
        if (!predictions) {
          predictions = path.join(dir, 'predictions');
          testLabels = path.join(dir, 'cifar10_test_labels.npy');
          await baselinePredictions(store, extract, exported, release, predictions, testLabels, { signal: context.cancellationSignal, onProgress: (done) => heartbeat.update({ done }) });
        }
        if (!testLabels) throw new InputError('evaluating predictions needs the CIFAR-10 test labels (--original-labels)', 'originalLabels');
        const result = await evaluatePredictions({
          predictionsDir: predictions,
          originalLabels: testLabels,
          releaseLabels: { [release]: releaseLabels },
          outDir: path.join(dir, 'report'),
        });
        const files = ['accuracy.json', 'accuracy.md', 'accuracy.csv', 'per_class.json', `scatter_${release}.svg`, `scatter_${release}.png`]
          .map((f) => `report/${f}`);
        if (input.labels?.files['offered.json'] && input.confirmed?.files['offered.json']) {
          const read = (out: StageOutput, name: string) => store.readJson<AcceptedMap>(out.files[name]);
          const rows = agreementTable({
            round1Offered: await read(input.labels, 'offered.json'),
            round1: await read(input.labels, 'accepted.json'),
            round2Offered: await read(input.confirmed, 'offered.json'),
            round2: await read(input.confirmed, 'accepted.json'),
          });
          await writeFile(path.join(dir, 'report', 'labeling_agreement.json'), JSON.stringify(rows, null, 2));
          await writeFile(path.join(dir, 'report', 'labeling_agreement.md'),
            `# Agreement between the two labeling rounds (${release})\n\nCohen's kappa per keyword, over the images the first round was offered.\n\n${formatAgreementTable(rows)}`);
          files.push('report/labeling_agreement.json', 'report/labeling_agreement.md');
        }
        const rows = result.releases[0]?.rows ?? [];
        return {
          files,
          summary: { models: rows.length, table: rows.map((r) => ({ model: r.model, originalAccuracy: r.originalAccuracy, newAccuracy: r.newAccuracy })) },
        };
      });
      if (Object.keys(evaluated.files).length) {
        await publishFiles(store, evaluated.files, path.join(outDir, 'evaluation', release), (name) => path.basename(name));
      }
      return evaluated;
    });
  };
}

async function baselinePredictions(store: ArtifactStore, extract: StageOutput<ExtractSummary>, exported: StageOutput, release: string, dir: string, testLabelsFile: string,
  knn: { signal: AbortSignal; onProgress: (done: number) => void }) {
  const images = await loadImages(store, extract, 'cifar10_images.npy');
  const labels = await loadInts(store, extract, 'cifar10_labels.npy');
  const nTrain = extract.summary.cifarTrain;
  const classes = extract.summary.classes.length;
  const trainLabels = labels.subarray(0, nTrain);
  const testImages = images.subarray(nTrain * 3072);
  const releaseImages = await loadImages(store, exported, `cifar10.1_${release}_data.npy`);
  await writeNpy(testLabelsFile, { dtype: 'int32', shape: [labels.length - nTrain], data: labels.slice(nTrain) });
  const train = pool8(images, nTrain);
  const trainBytes = pool8Bytes(images, nTrain);
  const models: Record<string, (x: Uint8Array) => number[] | Promise<number[]>> = {
    nearest_class_mean_8x8: (x) => nearestClassMean(train, trainLabels, classes, pool8(x, x.length / 3072)),
    nearest_neighbour_8x8: (x) => nearestNeighbour(trainBytes, trainLabels, pool8Bytes(x, x.length / 3072), knn),
  };
  for (const [folder, data] of [['original_predictions', testImages], [`${release}_predictions`, releaseImages]] as const) {
    await mkdir(path.join(dir, folder), { recursive: true });
    for (const [model, predict] of Object.entries(models)) {
      await writeFile(path.join(dir, folder, `${model}_predictions.json`), JSON.stringify(await predict(data)));
    }
  }
}
