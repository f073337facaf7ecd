/** One stream of the duplicate-search benchmark: builds the index, then scans its range of the file on 'go'. */
import { open } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { DuplicateIndex, searchFile } from '../lib/dupsearch';

export interface DupWorkerData {
  file: string;
  references: SharedArrayBuffer;
  /** Images [from, to) of the file. */
  from: number;
  to: number;
  chunkImages: number;
}

/**
 * Images [from, to) of `file`: with an index, searched by searchFile (reads
 * ahead into the index's memory); without, plain sequential reads of
 * `chunkImages` images, the baseline.
 */
export async function scanFile(index: DuplicateIndex | undefined, file: string, from: number, to: number, chunkImages: number) {
  if (index) return { bytes: (to - from) * 3072, matches: await searchFile(index, file, from, to, { chunkImages }) };
  const d = 3072;
  const handle = await open(file, 'r');
  const buffer = new Uint8Array(chunkImages * d);
  let bytes = 0;
  try {
    for (let at = from; at < to; at += chunkImages) {
      const count = Math.min(chunkImages, to - at);
      const { bytesRead } = await handle.read(buffer, 0, count * d, at * d);
      if (bytesRead !== count * d) throw new Error(`${file}: short read at image ${at}`);
      bytes += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return { bytes, matches: [] };
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
