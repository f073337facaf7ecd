import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Recorded event histories of real demo builds (v4 from a cold cache, with the
 * simulated labeler's Updates; v6 with the near-duplicate rounds), replayed
 * against the current workflow code: a change that would break builds in
 * flight fails here, not in a user's running build. (In a child process, like
 * `npx cifar101 replay`, which users can run on their own histories.)
 */
// v4-demo and v6-demo were recorded before builds kept release records (the `release-records` patch):
// they replay on the old path. The *-records histories take the new one: a v6 build from a cold store
// (no record: it runs the v4 build as its child, v4-demo-child-records), and again warm (it takes the record).
// The *-v2 histories are of version 2 (the build-v2 marker: sharded stages and labeling rounds in child
// workflows, lists in the store): a v6 build, the v4 build it ran as its child, and two of that build's
// children (a labeling round with the simulated labeler's Updates, the sharded distance stage).
// The *-audit histories take the audit-trail patch: the release described, reported and published after
// evaluation (demo v6, its cold v4 child and its second round; a v6 build from the published files).
const HISTORIES = [
  'v4-demo', 'v6-demo', 'v4-demo-child-records', 'v6-demo-cold-records', 'v6-demo-warm-records',
  'v6-demo-v2', 'v4-demo-v2', 'v4-demo-v2-round1', 'v4-demo-v2-distances',
  'v6-demo-audit', 'v4-demo-audit', 'v4-demo-audit-round2', 'v6-published-audit',
];

describe('replay of recorded build histories', () => {
  test('v4 and v6 demo builds of both versions, from before and after the release-records patch, and version 2\'s child workflows, replay deterministically', () => {
    const loader = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const out = execFileSync(process.execPath, ['--import', loader, path.join(ROOT, 'worker', 'cli.ts'), 'replay',
      ...HISTORIES.map((h) => path.join(ROOT, 'tests', 'histories', `${h}.pb.gz`))], { encoding: 'utf8', env: { ...process.env, CIFAR101_LOG_LEVEL: 'ERROR' } });
    for (const h of HISTORIES) expect(out).toMatch(new RegExp(`${h}\\.pb\\.gz: \\d{2,} events replayed`));
  }, 120_000);
});
