// `cifar101 explain <release> <image>`: everything the build knows of one
// image, kept or not, and a picture of it beside its nearest CIFAR-10 images.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { contactSheet } from '../lib/contact-sheet';
import { InputError } from '../lib/errors';
import { writeFileAtomic } from '../lib/formats/files';
import { readNpyRows } from '../lib/formats/npy';
import type { ExclusionRow, ProvenanceRow } from '../lib/provenance';
import { loadInts } from '../lib/stage-files';
import { ArtifactStore } from '../lib/store';
import type { AuditSummary } from '../activities/describe-release';

/** Reads a JSON-lines file of a release. */
export async function readJsonLines<T>(file: string): Promise<T[]> {
  const text = await readFile(file, 'utf8').catch((err) => {
    throw new InputError(`cannot read (${err.code ?? err.message}): was the release built with its audit trail?`, file);
  });
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
}

/** A release folder: `<out>/releases/<name>`, or a folder given as is. */
export function releaseFolder(outDir: string, release: string): { dir: string; name: string } {
  if (release.includes('/') || release.includes(path.sep)) return { dir: path.resolve(release), name: path.basename(path.resolve(release)) };
  return { dir: path.join(outDir, 'releases', release), name: release };
}

export interface Explanation {
  release: string;
  kept: boolean;
  provenance?: ProvenanceRow;
  exclusion?: ExclusionRow;
  /** The picture of the image beside its nearest CIFAR-10 images, when the store has their pixels. */
  picture?: string;
  neighbours?: Array<{ split: 'train' | 'test'; index: number; distance: number }>;
}

/**
 * What a release says of one image: `which` is a position in the release
 * (`12`), a source index (`ti:51548469`) or a pool id (`id:cat/kitten/a.png`).
 */
export async function explain(outDir: string, release: string, which: string): Promise<Explanation> {
  const { dir, name } = releaseFolder(outDir, release);
  const prefix = `cifar10.1_${name}`;
  const provenance = await readJsonLines<ProvenanceRow>(path.join(dir, `${prefix}_provenance.jsonl`));
  const match = /^(ti|id):(.+)$/.exec(which);
  if (!match && !/^\d+$/.test(which)) throw new InputError('expected a position (12), a source index (ti:51548469) or a pool id (id:cat/kitten/a.png)', which);
  const isRow = (r: { source?: { index: number; id?: string }; index?: number; id?: string }) => {
    if (!match) return false;
    const index = r.source?.index ?? r.index;
    const id = r.source?.id ?? r.id;
    return match[1] === 'ti' ? index === Number(match[2]) : id === match[2];
  };
  const kept = match ? provenance.find(isRow) : provenance[Number(which)];
  let out: Explanation;
  if (kept) out = { release: name, kept: true, provenance: kept };
  else {
    if (!match) throw new InputError(`the release has ${provenance.length} images (positions 0..${provenance.length - 1})`, which);
    const exclusion = (await readJsonLines<ExclusionRow>(path.join(dir, `${prefix}_exclusions.jsonl`))).find(isRow);
    if (!exclusion) throw new InputError(`not a candidate of the build of ${name}`, which);
    out = { release: name, kept: false, exclusion };
  }
  const index = out.provenance?.source.index ?? out.exclusion!.index;
  const picture = await drawNeighbours(outDir, dir, prefix, index);
  return picture ? { ...out, ...picture } : out;
}

/** The image beside its nearest CIFAR-10 images, as a PNG under `<out>/explain/`; null when the store lacks the pixels. */
async function drawNeighbours(outDir: string, dir: string, prefix: string, index: number) {
  const audit = JSON.parse(await readFile(path.join(dir, `${prefix}_audit.json`), 'utf8').catch(() => 'null')) as AuditSummary | null;
  if (!audit) return null;
  const store = new ArtifactStore(outDir);
  const candidates = await loadInts(store, { files: { i: audit.store.candidateIndices } }, 'i').catch(() => null);
  // An image of a keyword outside the top k was never a query of the distance stage: no neighbours to show.
  const row = candidates?.indexOf(index) ?? -1;
  if (!candidates || row < 0) return null;
  const neighbours = await loadInts(store, { files: { n: audit.store.neighbors } }, 'n');
  const squared = await loadInts(store, { files: { d: audit.store.distances } }, 'd');
  const k = neighbours.length / candidates.length;
  const nearest = Array.from({ length: k }, (_, j) => neighbours[row * k + j]);
  const tiles = [(await readNpyRows(store.resolve(audit.store.candidates), row, row + 1)).data];
  for (const c of nearest) tiles.push((await readNpyRows(store.resolve(audit.store.cifarImages), c, c + 1)).data);
  const picture = path.join(outDir, 'explain', `${prefix}-${index}.png`);
  await mkdir(path.dirname(picture), { recursive: true });
  await writeFileAtomic(picture, await contactSheet(tiles, { height: 32, width: 32, channels: 3 }, { columns: tiles.length, gap: 2, scale: 4 }));
  return {
    picture,
    neighbours: nearest.map((c, j) => ({
      split: c < audit.store.cifarTrain ? 'train' as const : 'test' as const,
      index: c < audit.store.cifarTrain ? c : c - audit.store.cifarTrain,
      distance: Math.sqrt(squared[row * k + j]),
    })),
  };
}

/** The explanation for the terminal. */
export function formatExplanation(e: Explanation): string {
  const lines: string[] = [];
  const decision = (d: { labeler: string; at?: string; via: string } | null) => (d ? `${d.labeler}${d.at ? `, ${d.at}` : ''} (${d.via})` : 'not recorded');
  if (e.provenance) {
    const p = e.provenance;
    lines.push(`${e.release} image ${p.position}: ${p.class} (label ${p.label}), keyword ${p.keyword}, source ${p.source.index}${p.source.id ? ` (${p.source.id})` : ''}`);
    if (p.nearestCifar) lines.push(`  nearest CIFAR-10: train #${p.nearestCifar.train.index} at L2 ${p.nearestCifar.train.distance.toFixed(1)}, test #${p.nearestCifar.test.index} at ${p.nearestCifar.test.distance.toFixed(1)}`);
    else lines.push('  nearest CIFAR-10: unknown (built without pixels, from the published files)');
    if (p.nearestInRelease) lines.push(`  nearest in the release: image ${p.nearestInRelease.position} (source ${p.nearestInRelease.index}) at L2 ${p.nearestInRelease.distance.toFixed(1)}`);
    lines.push(`  round 1: accepted by ${decision(p.round1)}`, `  round 2: confirmed by ${decision(p.round2)}`);
    lines.push(`  sampling: round ${p.sampling.round}, draw ${p.sampling.draw} of its keyword, ${p.sampling.from === 'base' ? 'kept from the base release' : 'drawn'}`);
    lines.push(`  passed: at least ${p.checks.minCifarDistance} from CIFAR-10 in round 2, no release image within ${p.checks.withinThreshold}, no CIFAR-10 image within ${p.checks.cifarThreshold}`);
  } else {
    const x = e.exclusion!;
    lines.push(`${e.release}: source ${x.index}${x.id ? ` (${x.id})` : ''}, ${x.class} / ${x.keyword}, not in the release: ${x.reason}`);
    lines.push(`  evidence: ${JSON.stringify(x.evidence)}`);
  }
  if (e.neighbours) lines.push(`  nearest CIFAR-10 images: ${e.neighbours.map((n) => `${n.split} #${n.index} (${n.distance.toFixed(0)})`).join(', ')}`);
  if (e.picture) lines.push(`  picture (the image, then its nearest CIFAR-10 images): ${e.picture}`);
  return lines.join('\n');
}
