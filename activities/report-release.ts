import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeywordAgreement } from '../lib/agreement';
import { classContactSheets } from '../lib/contact-sheet';
import type { AccuracyRow } from '../lib/evaluation/accuracy';
import { readNpy } from '../lib/formats/npy';
import type { DuplicatePair } from '../lib/near-duplicates';
import type { ExclusionReason, SampleRecord } from '../lib/provenance';
import { quotaOf, type Quotas } from '../lib/quotas';
import { type QuotaRow, writeReleaseReport } from '../lib/release-report';
import { stageKeys } from '../lib/stage-keys';
import type { ArtifactRef, ArtifactStore, StageOutput } from '../lib/store';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';


/**
 * The release's report (report.html): one self-contained page an auditor
 * opens from disk — contact sheets per class, quotas against what was drawn,
 * exclusions by reason, the near-duplicate rounds, κ per keyword, the
 * accuracy table and its scatter plot, and links to the build's history.
 */
export function reportRelease({ store }: ActivityDeps) {
  return async function reportRelease(input: {
    release: string;
    classes: string[];
    source: string;
    configHash: string;
    exported: StageOutput;
    evaluated: StageOutput;
    described: StageOutput<{ candidates: number; byReason: Record<ExclusionReason, number> }>;
    counts: StageOutput;
    confirmed: StageOutput;
    sample: StageOutput;
    rounds: Array<{ pairs: ArtifactRef; blacklist?: ArtifactRef }>;
    history: Array<{ label: string; url: string }>;
  }) {
    return runStage(async () => {
      const { release, classes, exported, evaluated, described } = input;
      const keyed = reportKey(input);
      const prefix = `cifar10.1_${release}`;
      return store.keyedStage(keyed, async (dir) => {
        const labels = Array.from((await readNpy(store.resolve(exported.files[`${prefix}_labels.npy`]))).data as Int32Array);
        const data = exported.files[`${prefix}_data.npy`];
        const contactSheets = data ? await classContactSheets((await readNpy(store.resolve(data))).data as Uint8Array, labels, classes) : [];
        const quotas = await store.readJson<Quotas>(input.counts.files['quotas.json']);
        const confirmed = await store.readJson<Record<string, Record<string, number[]>>>(input.confirmed.files['accepted.json']);
        const sample = await store.readJson<SampleRecord>(input.sample.files['sample.json']);
        const drawn = new Map<string, number>();
        for (const d of sample.perKeyword) drawn.set(`${d.class}/${d.keyword}`, (drawn.get(`${d.class}/${d.keyword}`) ?? 0) + d.indices.length);
        const quotaRows: QuotaRow[] = [];
        for (const [className, keywords] of Object.entries(quotas.method === 'per-keyword' ? groupPerKeyword(quotas, sample) : quotas.perClass)) {
          for (const keyword of Object.keys(keywords)) {
            quotaRows.push({ className, keyword, quota: quotaOf(quotas, className, keyword), confirmed: confirmed[className]?.[keyword]?.length ?? 0, drawn: drawn.get(`${className}/${keyword}`) ?? 0 });
          }
        }
        const nearDuplicates = [];
        for (const [i, round] of input.rounds.entries()) {
          const pairs = await store.readJson<DuplicatePair[]>(round.pairs);
          const blacklisted = new Set(round.blacklist ? await store.readJson<number[]>(round.blacklist) : []);
          nearDuplicates.push({ round: i + 1, pairs: pairs.map((p) => ({ ...p, confirmed: blacklisted.has(p.ti) })) });
        }
        const evaluation = evaluated.files;
        const accuracyFile = evaluation['report/accuracy.json'];
        const accuracy = accuracyFile
          ? { rows: (await store.readJson<Record<string, AccuracyRow[]>>(accuracyFile))[release] ?? [], scatterSvg: await readText(store, evaluation[`report/scatter_${release}.svg`]) }
          : null;
        const agreement = evaluation['report/labeling_agreement.json'] ? await store.readJson<KeywordAgreement[]>(evaluation['report/labeling_agreement.json']) : null;
        const manifest = await store.readJson<{ files: Record<string, string> }>(exported.files['manifest.json']);
        await writeReleaseReport(path.join(dir, 'report.html'), {
          release,
          // The config, not a clock: a rebuild from the same inputs gives the same bytes.
          builtAt: `from config ${input.configHash.slice(0, 12)}`,
          source: input.source,
          images: labels.length,
          classes,
          perClass: classes.map((_, c) => labels.filter((l) => l === c).length),
          candidates: described.summary.candidates,
          contactSheets,
          quotas: quotaRows,
          exclusions: described.summary.byReason,
          nearDuplicates,
          agreement,
          accuracy,
          history: input.history,
          files: Object.entries(manifest.files).map(([name, sha256]) => ({ name, sha256 })),
        });
        return { files: ['report.html'], summary: { release } };
      });
    });
  };
}

/** Per-keyword quotas (v4) by class: each keyword under the class its draws were labelled with. */
function groupPerKeyword(quotas: Extract<Quotas, { method: 'per-keyword' }>, sample: SampleRecord): Record<string, Record<string, number>> {
  const classOf = new Map(sample.perKeyword.map((d) => [d.keyword, d.class]));
  const out: Record<string, Record<string, number>> = {};
  for (const keyword of quotas.order) (out[classOf.get(keyword) ?? '(not drawn)'] ??= {})[keyword] = quotas.perKeyword[keyword];
  return out;
}

async function readText(store: ArtifactStore, ref: ArtifactRef | undefined): Promise<string> {
  return ref ? readFile(store.resolve(ref), 'utf8') : '';
}

/** The report's key: what it shows comes from these stages, the source, the config and the history links. */
export function reportKey(input: {
  release: string; source: string; configHash: string; history: unknown; rounds: unknown;
  exported: { key: string }; evaluated: { key: string }; described: { key: string }; counts: { key: string }; confirmed: { key: string }; sample: { key: string };
}) {
  return stageKeys.reportRelease(
    { release: input.release, configHash: input.configHash },
    { exportRelease: input.exported.key, evaluateModels: input.evaluated.key, describeRelease: input.described.key, computeKeywordCounts: input.counts.key, 'labels-round2': input.confirmed.key, sampleRelease: input.sample.key },
    { source: input.source, history: input.history, rounds: input.rounds },
  );
}
