// The audit trail of a release, then its publication: every image accounted
// for (describeRelease: provenance and exclusions), the release's files and
// the audit files copied into the release folder together (publishRelease).
// A patch: histories from before it published the release at its export.
import { patched } from '@temporalio/workflow';
import type { SamplingRound } from './duplicates';
import type { Output, Progress } from './stages';
import type { ArtifactRef, BuildConfig, BuildInput, ExtractSummary, StageOutput, SubsetsSummary } from './types';

export const AUDIT_TRAIL = 'audit-trail';

/** What a build from the published files leaves for its audit. */
export interface PublishedAuditInputs {
  counts: StageOutput;
  labels: StageOutput;
  confirmed: StageOutput;
  basePerKeyword?: ArtifactRef;
}

/** What a build from pixels leaves for its audit. */
export interface AuditInputs {
  keywords: StageOutput;
  subsets: StageOutput<SubsetsSummary>;
  distances: StageOutput;
  counts: StageOutput;
  labels: StageOutput;
  confirmed: StageOutput;
  rounds: SamplingRound[];
  base?: { blacklist?: ArtifactRef; perKeyword: ArtifactRef };
  pool?: StageOutput;
}

/** Whether this build publishes its release after the audit (every build since the patch). */
export function auditsRelease(): boolean {
  return patched(AUDIT_TRAIL);
}

/** Describes the release (a build from pixels), then publishes it with its audit files; the release folder and those files. */
export async function auditAndPublish(
  progress: Progress,
  config: BuildConfig,
  input: BuildInput,
  extract: StageOutput<ExtractSummary>,
  sample: StageOutput,
  exported: Output<'exportRelease'>,
  audit: AuditInputs | { published: PublishedAuditInputs; blacklist?: ArtifactRef } | undefined,
  evaluated: StageOutput,
): Promise<{ releaseDir: string; extras: Record<string, string> }> {
  const files: Record<string, ArtifactRef> = { ...exported.files };
  const extras: Record<string, string> = {};
  const prefix = `cifar10.1_${config.release}`;
  const thresholds = { minCifarDistance: config.labeling.minCifarDistance, withinThreshold: config.nearDuplicates.withinThreshold, cifarThreshold: config.nearDuplicates.cifarThreshold };
  if (audit && 'published' in audit) {
    const described = await progress.run('describePublishedRelease', `every image of ${config.release} accounted for, as far as the published files tell`, {
      release: config.release, classes: config.classes, thresholds, sample, blacklist: audit.blacklist, ...audit.published,
    });
    for (const [name, stored] of [[`${prefix}_provenance.jsonl`, `${prefix}_provenance.jsonl`], [`${prefix}_exclusions.jsonl`, `${prefix}_exclusions.jsonl`], [`${prefix}_audit.json`, 'audit_summary.json']]) {
      files[name] = described.files[stored];
      extras[name] = described.files[stored].sha256;
    }
  } else if (audit) {
    const described = await progress.run('describeRelease', `every image of ${config.release} accounted for: provenance and exclusions`, {
      release: config.release, classes: config.classes, topK: config.keywords.topK, excluded: config.keywords.excluded, thresholds,
      extract, sample, ...audit,
    });
    const report = await progress.run('reportRelease', `report.html of ${config.release}: sheets, quotas, exclusions, near-duplicates, agreement, accuracy`, {
      release: config.release, classes: config.classes, source: describeSource(input), configHash: config.hash,
      exported, evaluated, described, counts: audit.counts, confirmed: audit.confirmed, sample, rounds: audit.rounds,
      history: historyLinks(input, progress.buildId),
    });
    const made: Array<[string, ArtifactRef]> = [
      [`${prefix}_provenance.jsonl`, described.files[`${prefix}_provenance.jsonl`]],
      [`${prefix}_exclusions.jsonl`, described.files[`${prefix}_exclusions.jsonl`]],
      [`${prefix}_audit.json`, described.files['audit_summary.json']],
      ['report.html', report.files['report.html']],
    ];
    for (const [name, ref] of made) {
      files[name] = ref;
      extras[name] = ref.sha256;
    }
  }
  const published = await progress.run('publishRelease', `publish ${config.release} to ${input.outDir}/releases/${config.release}`, { release: config.release, outDir: input.outDir, files });
  return { releaseDir: published.releaseDir, extras };
}

/** What the release was built from, for its report. */
export function describeSource(input: BuildInput): string {
  const { source } = input;
  switch (source.kind) {
    case 'demo': return `the demo corpus (seed ${source.seed})`;
    case 'synthetic': return `the full-shape synthetic corpus (${source.images} images, ${source.candidates} candidates, seed ${source.seed})`;
    case 'files': return `TinyImages in ${source.tinyimages}, CIFAR-10 from ${source.cifar10}`;
    case 'pool': return `the pool ${source.pool}, CIFAR-10 from ${source.cifar10}`;
    case 'published': return `the published files in ${source.dir}`;
  }
}

/** The build's workflows in the Temporal Web UI: the build, its sharded stages and labeling rounds. */
export function historyLinks(input: BuildInput, buildId: string): Array<{ label: string; url: string }> {
  if (!input.historyUrl) return [];
  const link = (id: string) => `${input.historyUrl}/${encodeURIComponent(id)}`;
  return [
    { label: `the build (${buildId})`, url: link(buildId) },
    ...['findCifar10Keywords', 'computeDistances', 'round1', 'round2'].map((part) => ({ label: part, url: link(`${buildId}/${part}`) })),
  ];
}
