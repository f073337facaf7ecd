import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadReleaseConfig, parseConfig } from '../../configs';

const ROOT = path.resolve(__dirname, '..', '..');
const v4 = () => readFile(path.join(ROOT, 'configs', 'v4.yaml'), 'utf8');

describe('release configs', () => {
  test('v4 and v6 load; v6 resolves its base release and both hashes are stable', async () => {
    const a = await loadReleaseConfig(path.join(ROOT, 'configs', 'v6.yaml'));
    const b = await loadReleaseConfig(path.join(ROOT, 'configs', 'v6.yaml'));
    expect(a.release).toBe('v6');
    expect(a.base?.release).toBe('v4');
    expect(a.seed).toBe(670725112);
    expect(a.keywords.topK).toBe(50);
    expect(a.base?.keywords.topK).toBe(25);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(a.base?.hash);
  });

  test.each([
    ['an unknown key', (d: any) => { d.sampling.imagesPerCnt = 30; }, /v4\.yaml: unknown key "sampling\.imagesPerCnt"/],
    ['a wrong type', (d: any) => { d.seed = 'abc'; }, /v4\.yaml: key "seed": expected number, got "abc"/],
    ['a missing key', (d: any) => { delete d.nearDuplicates; }, /v4\.yaml: missing key "nearDuplicates" \(expected object\)/],
    ['a bad enum value', (d: any) => { d.rng.kind = 'numpy'; }, /v4\.yaml: key "rng\.kind"/],
    ['a negative top-k', (d: any) => { d.keywords.topK = -1; }, /v4\.yaml: key "keywords\.topK"/],
  ])('%s is an error naming the file and the key', async (_what, change, message) => {
    const doc = parse(await v4());
    change(doc);
    expect(() => parseConfig(stringify(doc), 'v4.yaml')).toThrow(message);
  });

  test('labeling.controls: off when absent (the hash of a config without it is unchanged), defaults when present, bounded', async () => {
    const doc = parse(await v4());
    const without = parseConfig(stringify(doc), 'v4.yaml');
    expect(without.labeling.controls).toBeUndefined();
    expect(JSON.stringify(without)).not.toContain('controls');
    doc.labeling.controls = {};
    expect(parseConfig(stringify(doc), 'v4.yaml').labeling.controls).toEqual({ rate: 0.1, minAccuracy: 0.8, minControls: 10 });
    doc.labeling.controls = { rate: 0.6 };
    expect(() => parseConfig(stringify(doc), 'v4.yaml')).toThrow(/v4\.yaml: key "labeling\.controls\.rate"/);
    doc.labeling.controls = { rate: 0.1, seen: true };
    expect(() => parseConfig(stringify(doc), 'v4.yaml')).toThrow(/unknown key "labeling\.controls\.seen"/);
  });

  test('broken YAML names the file and line', () => {
    expect(() => parseConfig('release: v4\nseed: [1,\n', 'bad.yaml')).toThrow(/bad\.yaml: invalid YAML at line/);
  });

  test('a missing base config is named', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    const doc = parse(await readFile(path.join(ROOT, 'configs', 'v6.yaml'), 'utf8'));
    doc.sampling.base = './nowhere.yaml';
    await writeFile(path.join(dir, 'v6.yaml'), stringify(doc));
    await expect(loadReleaseConfig(path.join(dir, 'v6.yaml'))).rejects.toThrow(/nowhere\.yaml: cannot read config \(ENOENT\)/);
  });
});
