// A stand-in build (fake-build.workflow.ts) running on the test run's Temporal server, with its store
// and a label server on it: what the page test and the HTTP tests run against.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { writeFileAtomic } from '../../lib/formats/files';
import { writeNpy } from '../../lib/formats/npy';
import { sha256Json } from '../../lib/hash';
import { type LabelPage, writePages } from '../../lib/labeling';
import { ArtifactStore } from '../../lib/store';
import { startLabelServer } from '../../web/server';
import { storeQueue } from '../../workflows/ids';
import type { ArtifactRef, DuplicatePair } from '../../workflows/types';
import type { buildRelease as fakeBuild, FakeRound, FakeWork } from './fake-build.workflow';
import { writeImages } from './helpers';

export const CANDIDATES = 'cache/buildKeywordSubsets/k1/candidate_images.npy';
export const CIFAR = 'cache/extractSources/k0/cifar10_images.npy';
const PAIRS = 'cache/checkNearDuplicates/k2/pairs.json';
export const ref = (p: string): ArtifactRef => ({ path: p, sha256: '0'.repeat(64), bytes: 0 });

export interface FakeBuildSetup {
  /** Names the temporary folder and the task queue. */
  name: string;
  workflowId: string;
  release: string;
  rounds: Record<1 | 2, LabelPage[]>;
  /** Synthetic images in the store: candidates, and CIFAR-10 images (of class `row % 10` when `cifarLabels`). */
  candidates: number;
  cifar: number;
  cifarLabels?: boolean;
  /** Who each page of a round excludes (round 2's two-person rule). */
  excluded?: (round: 1 | 2, page: LabelPage) => string[] | undefined;
  /** Near-duplicate pairs to review after the rounds, by round 1's positions. */
  pairs?: DuplicatePair[];
  config?: FakeWork['config'];
  uiUrl?: string;
}

export interface FakeBuild {
  dir: string;
  store: string;
  client: Client;
  handle: WorkflowHandle<typeof fakeBuild>;
  server: Awaited<ReturnType<typeof startLabelServer>>;
  close: () => Promise<void>;
}

/** Writes the stand-in's store, starts its worker and workflow, and a label server on the store. */
export async function startFakeBuild(setup: FakeBuildSetup): Promise<FakeBuild> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `cifar101-${setup.name}-`));
  const store = path.join(dir, 'store');
  await mkdir(path.join(store, path.dirname(CANDIDATES)), { recursive: true });
  await mkdir(path.join(store, path.dirname(CIFAR)), { recursive: true });
  await writeImages(path.join(store, CANDIDATES), setup.candidates);
  await writeImages(path.join(store, CIFAR), setup.cifar, 100);
  if (setup.cifarLabels) {
    await writeNpy(path.join(store, path.dirname(CIFAR), 'cifar10_labels.npy'), { dtype: 'int32', shape: [setup.cifar], data: Int32Array.from({ length: setup.cifar }, (_, i) => i % 10) });
  }
  const rounds: FakeRound[] = [];
  for (const round of [1, 2] as const) {
    const folder = `cache/${round === 1 ? 'labelCandidates' : 'confirmCandidates'}/p${round}`;
    await mkdir(path.join(store, folder), { recursive: true });
    await writePages(path.join(store, folder), setup.rounds[round], { round, images: ref(CANDIDATES), cifarImages: ref(CIFAR) });
    rounds.push({
      round, pages: ref(`${folder}/pages.json`),
      headers: setup.rounds[round].map((p) => {
        const excluded = setup.excluded?.(round, p);
        return excluded ? [p.id, p.offered.length, p.digest, excluded] : [p.id, p.offered.length, p.digest];
      }),
    });
  }
  let duplicates: FakeWork['duplicates'] = null;
  if (setup.pairs) {
    await mkdir(path.join(store, path.dirname(PAIRS)), { recursive: true });
    await writeFileAtomic(path.join(store, PAIRS), Buffer.from(JSON.stringify(setup.pairs)));
    duplicates = { round: 1, pairs: ref(PAIRS), count: setup.pairs.length, digest: sha256Json(setup.pairs).slice(0, 16), candidates: ref(CANDIDATES), cifar: ref(CIFAR) };
  }
  const work: FakeWork = { ...(setup.config ? { config: setup.config } : {}), release: setup.release, rounds, duplicates };

  const address = inject('temporalAddress');
  // The label server lists the builds of its store: those on the store's queue.
  const taskQueue = storeQueue(`${setup.name}-${randomBytes(4).toString('hex')}`, await new ArtifactStore(store).id());
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath: path.join(__dirname, 'fake-build.workflow.ts') });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const handle = await client.workflow.start<typeof fakeBuild>('buildRelease', { args: [work], taskQueue, workflowId: setup.workflowId });
  const server = await startLabelServer({ client, storeRoot: store, release: setup.release, uiUrl: setup.uiUrl });
  return {
    dir, store, client, handle, server,
    close: async () => {
      await server.close();
      await handle.terminate().catch(() => undefined);
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
