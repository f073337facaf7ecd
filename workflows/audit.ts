// The audit trail of a release, then its publication: every image accounted
// for (describeRelease: provenance and exclusions), the release's files and
// the audit files copied into the release folder together (publishRelease).
// A patch: histories from before it published the release at its export.
import { patched } from '@temporalio/workflow';
import type { SamplingRound } from './duplicates';
import type { Output, Progress } from './stages';
import type { ArtifactRef, BuildConfig, BuildInput, ExtractSummary, StageOutput, SubsetsSummary } from './types';

export const AUDIT_TRAIL = 'audit-trail';

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
  audit: AuditInputs | undefined,
): Promise<{ releaseDir: string; extras: Record<string, string> }> {
  const files: Record<string, ArtifactRef> = { ...exported.files };
  const extras: Record<string, string> = {};
  if (audit) {
    const described = await progress.run('describeRelease', `every image of ${config.release} accounted for: provenance and exclusions`, {
      release: config.release, classes: config.classes, topK: config.keywords.topK, excluded: config.keywords.excluded,
      thresholds: { minCifarDistance: config.labeling.minCifarDistance, withinThreshold: config.nearDuplicates.withinThreshold, cifarThreshold: config.nearDuplicates.cifarThreshold },
      extract, sample, ...audit,
    });
    const prefix = `cifar10.1_${config.release}`;
    for (const [name, stored] of [[`${prefix}_provenance.jsonl`, `${prefix}_provenance.jsonl`], [`${prefix}_exclusions.jsonl`, `${prefix}_exclusions.jsonl`], [`${prefix}_audit.json`, 'audit_summary.json']]) {
      files[name] = described.files[stored];
      extras[name] = described.files[stored].sha256;
    }
  }
  const published = await progress.run('publishRelease', `publish ${config.release} to ${input.outDir}/releases/${config.release}`, { release: config.release, outDir: input.outDir, files });
  return { releaseDir: published.releaseDir, extras };
}
