import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runBuild } from '../../worker/build';
import { diff } from '../../worker/diff';
import { releaseHashes, ROOT, tempDir, uniqueQueue, useTestServer } from '../helpers/build';
import { SHARED } from '../helpers/shared';

const PUBLISHED = SHARED;

describe('build from the published CIFAR-10.1 files', () => {
  beforeAll(() => {
    useTestServer();
  });

  test('v6 from the published files: the published labels byte for byte, 200 per class, twice the same', async () => {
    const runs = [];
    for (const name of ['a', 'b']) {
      const outDir = await tempDir(`published-${name}`);
      const { result } = await runBuild({ config: path.join(ROOT, 'configs', 'v6.yaml'), source: { kind: 'published', dir: PUBLISHED }, outDir, quiet: true, taskQueue: uniqueQueue('pub') });
      expect(result.perClass).toEqual(Array(10).fill(200));
      const labels = await readFile(path.join(result.releaseDir, 'cifar10.1_v6_labels.npy'));
      expect(labels.equals(await readFile(path.join(PUBLISHED, 'datasets', 'cifar10.1_v6_labels.npy')))).toBe(true);
      const indices: number[] = JSON.parse(await readFile(path.join(result.releaseDir, 'cifar10.1_v6_ti_indices.json'), 'utf8'));
      expect(new Set(indices).size).toBe(2000);
      const blacklist = new Set<number>(JSON.parse(await readFile(path.join(PUBLISHED, 'other_data', 'blacklist_v6.json'), 'utf8')));
      expect(indices.filter((i) => blacklist.has(i))).toEqual([]);
      runs.push(await releaseHashes(result.releaseDir));
      // The evaluation ran as the last stage, on the published predictions.
      const accuracy = JSON.parse(await readFile(path.join(outDir, 'evaluation', 'v6', 'accuracy.json'), 'utf8'));
      expect(accuracy.v6).toHaveLength(30);
    }
    expect(runs[0]).toEqual(runs[1]);
  }, 300_000);

  test('diff of the published v4 and v6: the images added and removed that the two releases say, each with the other side\'s reason', async () => {
    const outDir = await tempDir('published-diff');
    for (const release of ['v4', 'v6']) {
      await runBuild({ config: path.join(ROOT, 'configs', `${release}.yaml`), source: { kind: 'published', dir: PUBLISHED }, outDir, quiet: true, taskQueue: uniqueQueue('pubdiff') });
    }
    const read = async (r: string) => new Set<number>(JSON.parse(await readFile(path.join(outDir, 'releases', r, `cifar10.1_${r}_ti_indices.json`), 'utf8')));
    const [v4, v6] = [await read('v4'), await read('v6')];
    const d = await diff(outDir, 'v4', 'v6');
    expect(d.added!.map((x) => x.index).sort((a, b) => a - b)).toEqual([...v6].filter((i) => !v4.has(i)).sort((a, b) => a - b));
    expect(d.removed!.map((x) => x.index).sort((a, b) => a - b)).toEqual([...v4].filter((i) => !v6.has(i)).sort((a, b) => a - b));
    // Every one has a reason from the exclusions of the side it is missing from.
    for (const x of [...d.added!, ...d.removed!]) expect(x.exclusion?.reason).toBeDefined();
    expect(new Set(d.removed!.map((x) => x.why))).toEqual(new Set(['not-drawn', 'no-quota']));
    expect(d.accuracy).toHaveLength(30);
  }, 300_000);

  test('v4 from the published files is verified, not redrawn, and the report says what matched', async () => {
    const outDir = await tempDir('published-v4');
    const { result } = await runBuild({ config: path.join(ROOT, 'configs', 'v4.yaml'), source: { kind: 'published', dir: PUBLISHED }, outDir, quiet: true, taskQueue: uniqueQueue('pub4') });
    expect(result.images).toBe(2021);
    const report = JSON.parse(await readFile(path.join(result.releaseDir, 'verification.json'), 'utf8'));
    expect(report.checks.size.ok).toBe(true);
    expect(report.checks.blacklist.ok).toBe(true);
    expect(report.checks.confirmedPool.ok).toBe(true);
    // The published counts depart from the ceil(count/30) rule for a few keywords; each is listed with a reason.
    expect(report.countDifferences.length).toBe(report.checks.countRule.differ);
    for (const d of report.countDifferences) expect(d.why.length).toBeGreaterThan(0);
    expect(report.checks.classHistogram.perClass.reduce((a: number, b: number) => a + b, 0)).toBe(2021);
    const labels = await readFile(path.join(result.releaseDir, 'cifar10.1_v4_labels.npy'));
    expect(labels.equals(await readFile(path.join(PUBLISHED, 'datasets', 'cifar10.1_v4_labels.npy')))).toBe(true);
  }, 300_000);

  test('a missing or malformed published file is named in the error', async () => {
    const dir = await tempDir('published-bad');
    await cp(PUBLISHED, dir, { recursive: true });
    await rm(path.join(dir, 'other_data', 'blacklist_v6.json'));
    const outDir = await tempDir('published-bad-out');
    await expect(runBuild({ config: path.join(ROOT, 'configs', 'v6.yaml'), source: { kind: 'published', dir }, outDir, quiet: true, taskQueue: uniqueQueue('bad') }))
      .rejects.toThrow(/blacklist_v6\.json/);
    await writeFile(path.join(dir, 'other_data', 'blacklist_v6.json'), '{"not": "a list"}');
    await expect(runBuild({ config: path.join(ROOT, 'configs', 'v6.yaml'), source: { kind: 'published', dir }, outDir, quiet: true, taskQueue: uniqueQueue('bad2') }))
      .rejects.toThrow(/blacklist_v6\.json: expected a JSON array/);
  }, 300_000);
});
