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
describe('replay of recorded build histories', () => {
  test('v4 and v6 demo builds replay deterministically', () => {
    const loader = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const out = execFileSync(process.execPath, ['--import', loader, path.join(ROOT, 'worker', 'cli.ts'), 'replay',
      path.join(ROOT, 'tests', 'histories', 'v4-demo.pb.gz'), path.join(ROOT, 'tests', 'histories', 'v6-demo.pb.gz')], { encoding: 'utf8', env: { ...process.env, CIFAR101_LOG_LEVEL: 'ERROR' } });
    expect(out).toMatch(/v4-demo\.pb\.gz: \d{3,} events replayed/);
    expect(out).toMatch(/v6-demo\.pb\.gz: \d{3,} events replayed/);
  }, 120_000);
});
