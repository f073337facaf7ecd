/** One stream of the duplicate-search benchmark: builds the index, then scans its range of the file on 'go'. */
import { open } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { DuplicateIndex } from '../lib/dupsearch';

export interface DupWorkerData {
  file: string;
  references: SharedArrayBuffer;
  /** Images [from, to) of the file. */
  from: number;
  to: number;
  chunkImages: number;
}

/** Streams images [from, to) of `file` through `index`; returns the matches found. */
export async function scanFile(index: DuplicateIndex | undefined, file: string, from: number, to: number, chunkImages: number) {
  const d = 3072;
  const handle = await open(file, 'r');
  const buffer = new Uint8Array(chunkImages * d);
  const matches: Array<{ reference: number; candidate: number; squaredDistance: number }> = [];
  let bytes = 0;
  try {
    for (let at = from; at < to; at += chunkImages) {
      const count = Math.min(chunkImages, to - at);
      const { bytesRead } = await handle.read(buffer, 0, count * d, at * d);
      if (bytesRead !== count * d) throw new Error(`${file}: short read at image ${at}`);
      bytes += bytesRead;
      if (index) matches.push(...index.findMatches(buffer.subarray(0, bytesRead), at));
    }
  } finally {
    await handle.close();
  }
  return { bytes, matches };
}

if (parentPort) {
  const port = parentPort;
  const data = workerData as DupWorkerData;
  const index = new DuplicateIndex(new Uint8Array(data.references));
  port.postMessage({ type: 'ready' });
  port.once('message', async () => {
    const t = performance.now();
    const result = await scanFile(index, data.file, data.from, data.to, data.chunkImages);
    port.postMessage({ type: 'done', seconds: (performance.now() - t) / 1000, ...result });
  });
}
