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
      // With an index, read straight into its memory (no copy before hashing).
      const target = index ? index.inputBuffer(count) : buffer.subarray(0, count * d);
      const { bytesRead } = await handle.read(target, 0, count * d, at * d);
      if (bytesRead !== count * d) throw new Error(`${file}: short read at image ${at}`);
      bytes += bytesRead;
      if (index) matches.push(...index.findMatches(target, at));
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
  // A first pass over part of the range warms the JIT, as the single-thread measurement's earlier passes do.
  const warm = scanFile(index, data.file, data.from, Math.min(data.to, data.from + 8 * data.chunkImages), data.chunkImages);
  void warm.then(() => port.postMessage({ type: 'ready' }));
  port.once('message', async () => {
    const t = performance.now();
    const result = await scanFile(index, data.file, data.from, data.to, data.chunkImages);
    port.postMessage({ type: 'done', seconds: (performance.now() - t) / 1000, ...result });
  });
}
