// Two releases (or two configs) side by side: what differs in their configs,
// which stages' cache keys differ, which images one has and the other not
// (with the reason the other left each one out), their counts per class and
// keyword, and their models' accuracies. Pure: worker/diff.ts loads the sides.
import type { ExclusionRow } from './provenance';

/** One side of a diff, as loaded from a release folder, its build's record and its evaluation. */
export interface DiffSide {
  name: string;
  /** The config the side was built from (null when its build did not record it). */
  config: Record<string, unknown> | null;
  /** Each stage's cache key, in build order (null when there is no recorded build). */
  stages: Array<{ stage: string; key?: string }> | null;
  /** The release's images (source indices) and labels, in release order (null for a config never built). */
  images: number[] | null;
  labels: number[] | null;
  classes: string[];
  /** The release per keyword (`ti_indices_per_keyword.json`). */
  perKeyword: Record<string, number[]> | null;
  /** The side's exclusions, by source index (null when it has no audit: a build from the published files). */
  exclusions: Map<number, ExclusionRow> | null;
  /** Accuracy (%) per model: on CIFAR-10 and on this release. */
  accuracy: Record<string, { original: number; release: number }> | null;
}

export interface ReleaseDiff {
  a: string;
  b: string;
  /** Null when a side's build did not record its config. */
  config: Array<{ key: string; a: unknown; b: unknown }> | null;
  /** Null when a side has no recorded build (`cifar101 plan` tells what it would rebuild). */
  stages: Array<{ stage: string; a: string | null; b: string | null }> | null;
  /** Null when a side has no release yet. */
  added: Array<{ index: number; why: string; exclusion?: ExclusionRow }> | null;
  removed: Array<{ index: number; why: string; exclusion?: ExclusionRow }> | null;
  perClass: Array<{ className: string; a: number; b: number }>;
  perKeyword: Array<{ keyword: string; a: number; b: number }>;
  accuracy: Array<{ model: string; original: number; a: number; b: number; change: number }> | null;
}

/** Every leaf of a config as `path.to.key` → value (arrays as values). */
export function flattenConfig(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flattenConfig(inner, prefix ? `${prefix}.${key}` : key, out);
  } else if (prefix) out[prefix] = value;
  return out;
}

/** Config keys that only name a build or its files, not what it makes. */
const IGNORED = new Set(['hash', 'file']);

/** The reason `side` left out an image the other side has. */
function whyMissing(side: DiffSide, index: number): { why: string; exclusion?: ExclusionRow } {
  if (!side.exclusions) return { why: `${side.name} has no exclusions to tell (built without an audit, or from the published files)` };
  const exclusion = side.exclusions.get(index);
  return exclusion ? { why: exclusion.reason, exclusion } : { why: `not a candidate of ${side.name}` };
}

/** The diff of two sides. */
export function diffReleases(a: DiffSide, b: DiffSide): ReleaseDiff {
  const configA = a.config ? flattenConfig(a.config) : {};
  const configB = b.config ? flattenConfig(b.config) : {};
  const keys = [...new Set([...Object.keys(configA), ...Object.keys(configB)])].filter((k) => !IGNORED.has(k.split('.').at(-1)!) && !k.startsWith('base.'));
  const config = a.config && b.config ? keys.filter((k) => JSON.stringify(configA[k]) !== JSON.stringify(configB[k])).map((key) => ({ key, a: configA[key], b: configB[key] })) : null;

  // Stages by name, first occurrence (the near-duplicate rounds repeat theirs).
  const firstKeys = (side: DiffSide) => {
    const out = new Map<string, string>();
    for (const s of side.stages ?? []) if (s.key && !out.has(s.stage)) out.set(s.stage, s.key);
    return out;
  };
  const stagesA = firstKeys(a);
  const stagesB = firstKeys(b);
  const stages = a.stages && b.stages
    ? [...new Set([...stagesA.keys(), ...stagesB.keys()])].filter((s) => stagesA.get(s) !== stagesB.get(s)).map((stage) => ({ stage, a: stagesA.get(stage) ?? null, b: stagesB.get(stage) ?? null }))
    : null;

  const both = a.images && b.images;
  const inA = new Set(a.images ?? []);
  const inB = new Set(b.images ?? []);
  const added = both ? b.images!.filter((i) => !inA.has(i)).map((index) => ({ index, ...whyMissing(a, index) })) : null;
  const removed = both ? a.images!.filter((i) => !inB.has(i)).map((index) => ({ index, ...whyMissing(b, index) })) : null;

  const classes = a.classes.length >= b.classes.length ? a.classes : b.classes;
  const countClass = (side: DiffSide, c: number) => (side.labels ?? []).filter((l) => l === c).length;
  const perClass = classes.map((className, c) => ({ className, a: countClass(a, c), b: countClass(b, c) }));
  const kws = [...new Set([...Object.keys(a.perKeyword ?? {}), ...Object.keys(b.perKeyword ?? {})])].sort();
  const perKeyword = kws.map((keyword) => ({ keyword, a: a.perKeyword?.[keyword]?.length ?? 0, b: b.perKeyword?.[keyword]?.length ?? 0 }));

  const accuracy = a.accuracy && b.accuracy
    ? Object.keys(a.accuracy).filter((m) => b.accuracy![m]).sort().map((model) => ({
      model, original: a.accuracy![model].original, a: a.accuracy![model].release, b: b.accuracy![model].release,
      change: b.accuracy![model].release - a.accuracy![model].release,
    }))
    : null;
  return { a: a.name, b: b.name, config, stages, added, removed, perClass, perKeyword, accuracy };
}

/** The diff for the terminal: a section per kind of difference, reasons counted. */
export function formatDiff(d: ReleaseDiff): string {
  const out: string[] = [`${d.a} → ${d.b}`];
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  out.push('', `config: ${!d.config ? 'not recorded by both builds' : d.config.length ? '' : 'the same'}`);
  for (const c of d.config ?? []) out.push(`  ${c.key}: ${show(c.a)} → ${show(c.b)}`);
  out.push('', `stages whose cache keys differ (rebuilt): ${!d.stages ? 'a side has no recorded build (cifar101 plan tells what it would rebuild)' : d.stages.length ? d.stages.map((s) => s.stage).join(', ') : 'none'}`);
  const reasons = (rows: Array<{ why: string }>) => {
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.why, (counts.get(r.why) ?? 0) + 1);
    return [...counts].sort((x, y) => y[1] - x[1]).map(([why, n]) => `${n} ${why}`).join(', ');
  };
  if (!d.added || !d.removed) out.push('', 'images: a side has no release yet');
  else {
    out.push('', `images added in ${d.b}: ${d.added.length}${d.added.length ? ` (why ${d.a} had not: ${reasons(d.added)})` : ''}`);
    out.push(`images removed in ${d.b}: ${d.removed.length}${d.removed.length ? ` (why ${d.b} has not: ${reasons(d.removed)})` : ''}`);
  }
  out.push('', 'per class:', ...d.perClass.map((c) => `  ${c.className.padEnd(12)} ${String(c.a).padStart(5)} → ${String(c.b).padStart(5)}`));
  const changed = d.perKeyword.filter((k) => k.a !== k.b);
  out.push('', `per keyword: ${changed.length} of ${d.perKeyword.length} changed`, ...changed.map((k) => `  ${k.keyword.padEnd(24)} ${String(k.a).padStart(4)} → ${String(k.b).padStart(4)}`));
  if (d.accuracy) {
    out.push('', 'accuracy on the release (%):', ...d.accuracy.map((m) => `  ${m.model.padEnd(32)} ${m.a.toFixed(1)} → ${m.b.toFixed(1)} (${m.change >= 0 ? '+' : ''}${m.change.toFixed(1)}; CIFAR-10 ${m.original.toFixed(1)})`));
  } else out.push('', 'accuracy: not evaluated on both sides');
  return out.join('\n');
}
