// `cifar101 labelers …` as users run it (a child process for the command line; the functions for the rest).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LabelerRegistry } from '../../lib/labelers';
import { LabelingLog } from '../../web/labeling-log';
import { addLabeler, labelersQuality, listLabelers, newLink, revokeLabeler, setLabelerRole } from '../../worker/labelers';
import { ROOT, tempDir } from '../helpers/build';

const LOADER = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const URL_ = 'https://label.example.org:8300/';

describe('cifar101 labelers', () => {
  it('adds people with a one-time login link (the store keeps its hash only), lists, changes roles, renews links and revokes', async () => {
    const out = await tempDir('labelers');
    const added = await addLabeler({ outDir: out, name: 'grace', role: 'labeler', url: URL_ });
    const link = /^ {2}(https:\/\/label\.example\.org:8300\/login#token=([A-Za-z0-9_-]{43}))$/m.exec(added)!;
    expect(added.split('\n')[0]).toMatch(/^added grace \(labeler\)\. Their login link works once, until \d{4}-\d\d-\d\dT.*Z; send it to them privately:$/);
    const file = await readFile(path.join(out, 'labelers.json'), 'utf8');
    expect(file).not.toContain(link[2]);
    await expect(addLabeler({ outDir: out, name: 'grace', role: 'admin', url: URL_ })).rejects.toThrow('labeler "grace": already on the team (role labeler); for a new login link: cifar101 labelers link grace');
    expect(await setLabelerRole({ outDir: out, name: 'grace', role: 'admin' })).toBe('grace is now an admin');
    const again = await newLink({ outDir: out, name: 'grace', url: URL_ });
    expect(again).toContain('new login link for grace; any earlier unused one no longer works');
    await expect(new LabelerRegistry(out).login(link[2])).rejects.toThrow('not a valid login link');
    await addLabeler({ outDir: out, name: 'alan', role: 'verifier', url: URL_ });
    const list = (await listLabelers({ outDir: out })).split('\n');
    expect(list[0].split(/\s{2,}/)).toEqual(['name', 'role', 'added (UTC)', 'last sign-in', 'access']);
    expect(list.slice(1).map((l) => l.split(/\s{2,}/).filter((_, i) => i !== 2))).toEqual([['alan', 'verifier', 'never', 'link not used yet'], ['grace', 'admin', 'never', 'link not used yet']]);
    expect(await revokeLabeler({ outDir: out, name: 'alan' })).toBe('revoked alan: 0 sessions ended, their login link no longer works');
    expect(await listLabelers({ outDir: out })).toMatch(/alan {2,}verifier .* revoked \d{4}-\d\d-\d\d/);
  });

  it('prints the team\'s quality from the label server\'s log', async () => {
    const out = await tempDir('labelers-quality');
    expect(await labelersQuality({ outDir: out })).toBe('no decisions from the labeling page in this store yet');
    const at = '2026-12-01T09:05:00.000Z';
    await new LabelingLog(out).append({
      labeler: 'grace', round: 1, pageId: 'p', className: 'cat', keyword: 'tabby', offered: [1, 2], accepted: [1], openedAt: '2026-12-01T09:00:00.000Z', submittedAt: at,
      workflowId: 'b/round1', build: 'b', requestId: 'r1', pages: 'x/pages.json', selected: 2,
    }, [true, false, false].map((answered, i) => ({ labeler: 'grace', pageId: 'p', expected: true, answered, at, requestId: 'r1', id: `p:control:${i}`, cifarRow: i })));
    const table = await labelersQuality({ outDir: out, minAccuracy: 0.5, minControls: 2 });
    expect(table.split('\n')[2]).toBe('| grace | 1 | 2 | 33% (1/3) | 1/3 | 0/0 | 5 min | 60 | – | control accuracy 33% (1 of 3) is under 50% |');
  });

  it('refuses a role that does not exist, with the usage (exit code 2)', async () => {
    const run = promisify(execFile)(process.execPath, ['--import', LOADER, path.join(ROOT, 'worker', 'cli.ts'), 'labelers', 'add', 'kim', '--role', 'boss', '--out', await tempDir('labelers-cli')], { cwd: ROOT });
    await expect(run).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining("option '--role <role>' argument 'boss' is invalid. Allowed choices are labeler, verifier, reviewer, admin.") });
  });
});
