import { cp, readdir, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateDemoCorpus } from '../../lib/demo/generate';
import { Client, Connection } from '@temporalio/client';
import { loadReleaseConfig } from '../../configs';
import { runBuild } from '../../worker/build';
import { buildStatuses } from '../../worker/status';
import { buildWorkflowId } from '../../workflows/build';
import { ROOT, tempDir, uniqueQueue, useTestServer } from '../helpers/build';

/** Everything in the store's cache: entries and leftovers of any kind. */
async function cacheContents(outDir: string): Promise<string[]> {
  const cache = path.join(outDir, 'cache');
  const found: string[] = [];
  for (const stage of await readdir(cache).catch(() => [] as string[])) {
    for (const entry of await readdir(path.join(cache, stage))) found.push(`${stage}/${entry}`);
  }
  return found;
}

describe('bad data files', () => {
  let corpus: string;
  let connection: Connection;

  beforeAll(async () => {
    connection = await Connection.connect({ address: useTestServer() });
    corpus = path.join(await tempDir('bad-corpus'), 'demo');
    await generateDemoCorpus(corpus, { seed: 3 });
  }, 120_000);

  afterAll(() => connection?.close());

  async function broken(name: string, damage: (dir: string) => Promise<void>) {
    const dir = path.join(await tempDir(`bad-${name}`), 'data');
    await cp(corpus, dir, { recursive: true });
    await damage(dir);
    return { kind: 'files' as const, tinyimages: path.join(dir, 'tinyimages'), cifar10: path.join(dir, 'cifar10') };
  }

  test.each([
    ['a truncated tiny_images.bin', (d: string) => truncate(path.join(d, 'tinyimages', 'tiny_images.bin'), 3072 * 100 + 17), /tiny_images\.bin/],
    ['a metadata file of another count', (d: string) => truncate(path.join(d, 'tinyimages', 'tiny_metadata.bin'), 768 * 10), /tiny_metadata\.bin|tiny_images\.bin/],
    ['a mis-sized CIFAR-10 batch', (d: string) => truncate(path.join(d, 'cifar10', 'data_batch_3.bin'), 3073 * 10 + 5), /data_batch_3\.bin/],
    ['a label out of range', async (d: string) => writeFile(path.join(d, 'cifar10', 'test_batch.bin'), Buffer.concat([Buffer.from([12]), Buffer.alloc(3072)])), /test_batch\.bin/],
  ])('%s fails the build with an error naming the file, and the store holds nothing of it', async (_what, damage, message) => {
    const source = await broken(String(_what).replace(/\W+/g, '-'), damage as (d: string) => Promise<void>);
    const outDir = await tempDir('bad-out');
    const config = path.join(ROOT, 'configs', 'v4.yaml');
    const taskQueue = uniqueQueue('bad');
    await expect(runBuild({ config, source, outDir, quiet: true, taskQueue })).rejects.toThrow(message);
    expect(await cacheContents(outDir)).toEqual([]);
    // `cifar101 status` names the failed stage and the file
    const id = buildWorkflowId(await loadReleaseConfig(config), taskQueue);
    const status = (await buildStatuses(new Client({ connection }))).find((s) => s.workflowId === id)!;
    expect(status.state).toBe('FAILED');
    expect(status.failure).toMatch(message);
  }, 120_000);
});
