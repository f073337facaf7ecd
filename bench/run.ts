/**
 * Benchmark of the two compute kernels and the demo build (`npm run bench`,
 * `npm run bench -- --quick` for a run under a minute). Writes
 * bench/results.json and bench/results.md.
 *
 * - knn: exact top-k throughput in G multiply-adds/s, beside numpy float64
 *   (the original's X·Yᵀ + argsort) and float32 + argpartition on the same
 *   data in the same run, and every engine of lib/knn.
 * - duplicateSearch: GB/s of lib/dupsearch streaming a TinyImages-format file
 *   with planted duplicates, beside plain sequential reading of that file.
 * - projections: full-scale wall time from the measured rates.
 * - demoBuild: cold and warm seconds of worker/demo-build, when it exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DuplicateIndex } from '../lib/dupsearch';
import { closeKnnWorkers, topKNeighbors, type EngineName } from '../lib/knn';
import { bruteForceRow, fillRandom, noisyQueries, randomImages } from './data';
import { scanFile, type DupWorkerData } from './dup-worker';

const D = 3072;
const K = 10;
const ROOT = path.resolve(__dirname, '..');
const SCRATCH = path.join(os.tmpdir(), 'cifar101-bench');

/** Full-scale sizes the projections use. */
const FULL = { tinyImages: 79_302_017, candidates: 589_711, cifar10: 60_000 };
const WORKERS = [1, 8, 100];

interface Sizes {
  queries: number;
  references: number;
  /** Queries given to the slow engines (plain JS). */
  slowQueries: number;
  numpyRepeats: number;
  kernelRepeats: number;
  fileImages: number;
  dupReferences: number;
  planted: number;
}

const SIZES: Record<'full' | 'quick', Sizes> = {
  full: { queries: 2000, references: 60_000, slowQueries: 24, numpyRepeats: 2, kernelRepeats: 3, fileImages: 700_000, dupReferences: 60_000, planted: 200 },
  quick: { queries: 500, references: 10_000, slowQueries: 8, numpyRepeats: 1, kernelRepeats: 2, fileImages: 80_000, dupReferences: 6_000, planted: 50 },
};

const SAMPLE = 8;

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function gmac(n: number, m: number, seconds: number): number {
  return (n * m * D) / seconds / 1e9;
}

const round = (x: number, digits = 3) => Number(x.toPrecision(digits));

// ---------------------------------------------------------------- kNN

interface EngineRun {
  engine: EngineName;
  queries: number;
  references: number;
  seconds: number;
  gmacPerSec: number;
  exact: boolean;
}

async function benchKnn(s: Sizes) {
  log(`knn: ${s.queries} × ${s.references} images`);
  const references = randomImages(s.references, D, 11);
  const queries = noisyQueries(references, s.queries, D, 12);
  const brute = Array.from({ length: SAMPLE }, (_, i) => bruteForceRow(queries.subarray(i * D, (i + 1) * D), references, K, D));
  const sameAsBrute = (indices: ArrayLike<number>, distances: ArrayLike<number>, stride = K) =>
    brute.every((b, i) => b.indices.every((j, t) => indices[i * stride + t] === j && distances[i * stride + t] === b.distances[t]));

  const runs: EngineRun[] = [];
  let coldSeconds = 0;
  const timeEngine = async (engine: EngineName | 'auto', n: number, repeats: number) => {
    const q = queries.subarray(0, n * D);
    // Warm-up: starts this engine's worker pool (64 queries still go to the pool) and the JIT.
    await topKNeighbors(queries.subarray(0, Math.min(n, 64) * D), references, K, { engine });
    let best = Infinity;
    let result: Awaited<ReturnType<typeof topKNeighbors>> | undefined;
    for (let r = 0; r < repeats; r++) {
      const t = performance.now();
      result = await topKNeighbors(q, references, K, { engine });
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    const run: EngineRun = {
      engine: result!.engine,
      queries: n,
      references: s.references,
      seconds: round(best, 4),
      gmacPerSec: round(gmac(n, s.references, best)),
      exact: sameAsBrute(result!.indices, result!.distances),
    };
    log(`knn ${run.engine}: ${run.gmacPerSec} GMAC/s (${run.seconds} s), exact ${run.exact}`);
    runs.push(run);
    return run;
  };

  // Cold: the first call starts the worker pool and copies the references into shared memory.
  const t0 = performance.now();
  await topKNeighbors(queries, references, K);
  coldSeconds = (performance.now() - t0) / 1000;
  const best = await timeEngine('auto', s.queries, s.kernelRepeats);
  for (const engine of ['onnx-int8', 'onnx-uint8', 'wasm'] as const) {
    if (engine === best.engine) continue;
    await timeEngine(engine, s.queries, 1).catch((err: Error) => log(`knn ${engine}: unavailable (${err.message})`));
  }
  await timeEngine('js', s.slowQueries, 1);
  await closeKnnWorkers();

  log('knn: numpy baselines');
  mkdirSync(SCRATCH, { recursive: true });
  const qFile = path.join(SCRATCH, 'queries.bin');
  const rFile = path.join(SCRATCH, 'references.bin');
  await writeFile(qFile, queries);
  await writeFile(rFile, references);
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: path.join(ROOT, '.tools', 'py') };
  // Set on some CPUs for old OpenBLAS builds; they slow the current one, so the baseline runs without them.
  const unset = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'].filter((k) => k in env);
  for (const k of unset) delete env[k];
  let numpy: Record<string, any> | null = null;
  let numpyError: string | undefined;
  try {
    const out = execFileSync(
      process.env.PYTHON ?? 'python3',
      [path.join(__dirname, 'numpy_knn.py'), qFile, rFile, String(s.queries), String(s.references), String(K), String(s.numpyRepeats)],
      { env, encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    numpy = JSON.parse(out);
  } catch (err) {
    numpyError = (err as Error).message.split('\n')[0];
    log(`knn: numpy failed: ${numpyError}`);
  }
  await rm(SCRATCH, { recursive: true, force: true });
  const numpyRate = (key: 'float64' | 'float32') => (numpy ? round(gmac(s.queries, s.references, numpy[key].seconds)) : null);
  const numpyExact = (key: 'float64' | 'float32') =>
    numpy ? sameAsBrute(numpy[key].sampleIndices.flat(), numpy[key].sampleDistances.flat()) : null;
  const numpyFloat64GmacPerSec = numpyRate('float64');
  const numpyFloat32GmacPerSec = numpyRate('float32');
  if (numpy) log(`knn numpy: float64 ${numpyFloat64GmacPerSec}, float32 ${numpyFloat32GmacPerSec} GMAC/s`);
  return {
    queries: s.queries,
    references: s.references,
    k: K,
    engine: best.engine,
    gmacPerSec: best.gmacPerSec,
    seconds: best.seconds,
    coldSeconds: round(coldSeconds, 4),
    exact: best.exact,
    exactCheck: `first ${SAMPLE} queries against brute force over all references (indices and squared distances)`,
    numpyFloat64GmacPerSec,
    numpyFloat32GmacPerSec,
    vsNumpyFloat64: numpyFloat64GmacPerSec ? round(best.gmacPerSec / numpyFloat64GmacPerSec) : null,
    vsNumpyFloat32: numpyFloat32GmacPerSec ? round(best.gmacPerSec / numpyFloat32GmacPerSec) : null,
    numpy: numpy
      ? {
          float64: { method: 'float64 X·Yᵀ + norms, full argsort', seconds: round(numpy.float64.seconds, 4), gemmSeconds: round(numpy.float64.gemmSeconds, 4), exact: numpyExact('float64') },
          float32: { method: 'float32 X·Yᵀ + norms, argpartition + sort of k', seconds: round(numpy.float32.seconds, 4), gemmSeconds: round(numpy.float32.gemmSeconds, 4), exact: numpyExact('float32') },
          float32GemmOnlyGmacPerSec: round(gmac(s.queries, s.references, numpy.float32.gemmSeconds)),
          blas: numpy.blas,
          unsetForNumpy: unset,
        }
      : { error: numpyError },
    engines: runs,
  };
}

// ---------------------------------------------------------------- duplicate search

interface Plant {
  position: number;
  reference: number;
  squaredDistance: number;
}

/** Writes `images` random images with planted copies and off-by-ones of references; returns the plants. */
async function writeTinyFile(file: string, images: number, references: Uint8Array, planted: number): Promise<Plant[]> {
  const m = references.length / D;
  const plants: Plant[] = [];
  for (let p = 0; p < planted; p++) {
    const position = Math.floor(((p + 0.5) * images) / planted);
    plants.push({ position, reference: (p * 7877) % m, squaredDistance: p % 3 === 0 ? 0 : 1 });
  }
  const chunk = 8192;
  const buffer = new Uint8Array(chunk * D);
  const handle = await open(file, 'w');
  try {
    let next = 0;
    for (let at = 0; at < images; at += chunk) {
      const count = Math.min(chunk, images - at);
      fillRandom(buffer, at + 1);
      for (; next < plants.length && plants[next].position < at + count; next++) {
        const p = plants[next];
        const o = (p.position - at) * D;
        buffer.set(references.subarray(p.reference * D, (p.reference + 1) * D), o);
        if (p.squaredDistance === 1) {
          const byte = [0, 1535, 1536, 3071, 100, 2000][next % 6];
          buffer[o + byte] += buffer[o + byte] === 255 ? -1 : 1;
        }
      }
      await handle.write(buffer, 0, count * D);
    }
  } finally {
    await handle.close();
  }
  return plants;
}

async function sequentialRead(file: string, images: number, chunkImages: number): Promise<number> {
  const t = performance.now();
  await scanFile(undefined, file, 0, images, chunkImages);
  return (performance.now() - t) / 1000;
}

/** Two worker threads, each with its own index, scanning half the file each. */
async function twoStreams(file: string, images: number, references: Uint8Array, chunkImages: number) {
  const shared = new SharedArrayBuffer(references.length);
  new Uint8Array(shared).set(references);
  const half = Math.ceil(images / 2);
  const workers = [0, 1].map((i) => {
    const data: DupWorkerData = { file, references: shared, from: i * half, to: Math.min(images, (i + 1) * half), chunkImages };
    return new Worker(path.join(__dirname, 'dup-worker-entry.cjs'), { workerData: data });
  });
  const message = (w: Worker) =>
    new Promise<any>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  try {
    await Promise.all(workers.map(message));
    const t = performance.now();
    const done = workers.map(message);
    workers.forEach((w) => w.postMessage('go'));
    const results = await Promise.all(done);
    return { seconds: (performance.now() - t) / 1000, matches: results.flatMap((r) => r.matches) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function benchDuplicateSearch(s: Sizes) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cifar101-dup-'));
  const file = path.join(dir, 'tiny_images.bin');
  try {
    const references = randomImages(s.dupReferences, D, 21);
    const bytes = s.fileImages * D;
    log(`duplicateSearch: writing ${(bytes / 1e9).toFixed(2)} GB with ${s.planted} planted duplicates`);
    const plants = await writeTinyFile(file, s.fileImages, references, s.planted);
    const chunkImages = 4096;

    let t = performance.now();
    const index = new DuplicateIndex(references);
    const indexSeconds = (performance.now() - t) / 1000;

    await sequentialRead(file, s.fileImages, chunkImages); // page cache warm for both
    let readSeconds = Infinity;
    let searchSeconds = Infinity;
    let matches: Array<{ reference: number; candidate: number; squaredDistance: number }> = [];
    for (let r = 0; r < 2; r++) {
      readSeconds = Math.min(readSeconds, await sequentialRead(file, s.fileImages, chunkImages));
      t = performance.now();
      matches = (await scanFile(index, file, 0, s.fileImages, chunkImages)).matches;
      searchSeconds = Math.min(searchSeconds, (performance.now() - t) / 1000);
    }
    const two = await twoStreams(file, s.fileImages, references, chunkImages);

    const found = (list: typeof matches) => {
      const keys = new Set(list.map((m) => `${m.candidate}:${m.reference}:${m.squaredDistance}`));
      return plants.filter((p) => !keys.has(`${p.position}:${p.reference}:${p.squaredDistance}`)).length;
    };
    const plantedKeys = new Set(plants.map((p) => `${p.position}:${p.reference}`));
    const result = {
      fileBytes: bytes,
      images: s.fileImages,
      references: s.dupReferences,
      planted: plants.length,
      gbPerSec: round(bytes / searchSeconds / 1e9),
      sequentialReadGbPerSec: round(bytes / readSeconds / 1e9),
      vsSequentialRead: round(readSeconds / searchSeconds),
      gbPerSecTwoStreams: round(bytes / two.seconds / 1e9),
      missed: found(matches),
      missedTwoStreams: found(two.matches),
      unexpectedMatches: matches.filter((m) => !plantedKeys.has(`${m.candidate}:${m.reference}`)).length,
      indexBuildSeconds: round(indexSeconds, 4),
      method:
        'one thread: searchFile (4,096-image chunks read straight into the index memory, the next read in flight while the current chunk is hashed and looked up); ' +
        'two streams: the same in two worker threads, half the file each',
    };
    log(`duplicateSearch: ${result.gbPerSec} GB/s (two streams ${result.gbPerSecTwoStreams}) vs read ${result.sequentialReadGbPerSec} GB/s, missed ${result.missed}`);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- projections

function projections(knn: Awaited<ReturnType<typeof benchKnn>>, dup: Awaited<ReturnType<typeof benchDuplicateSearch>>) {
  const macs = FULL.candidates * FULL.cifar10 * D;
  const tinyBytes = FULL.tinyImages * D;
  const perWorker = {
    computeDistances: macs / (knn.gmacPerSec * 1e9),
    computeDistancesNumpyFloat64: knn.numpyFloat64GmacPerSec ? macs / (knn.numpyFloat64GmacPerSec * 1e9) : null,
    findCifar10Keywords: tinyBytes / (Math.max(dup.gbPerSec, dup.gbPerSecTwoStreams) * 1e9),
  };
  return {
    assumptions:
      'Work sharded evenly over workers of this machine size (2 cores); rates as measured here, file streamed at the page-cache rate measured ' +
      '(a real 244 GB TinyImages file on disk may read slower); no scheduling overhead.',
    computeDistances: { multiplyAdds: macs, ...byWorkers(perWorker.computeDistances) },
    computeDistancesNumpyFloat64: perWorker.computeDistancesNumpyFloat64 ? byWorkers(perWorker.computeDistancesNumpyFloat64) : null,
    findCifar10Keywords: { bytes: tinyBytes, ...byWorkers(perWorker.findCifar10Keywords) },
  };
}

function byWorkers(seconds: number) {
  return Object.fromEntries(WORKERS.map((w) => [`workers${w}Seconds`, round(seconds / w)]));
}

// ---------------------------------------------------------------- demo build

async function benchDemoBuild() {
  const modulePath = path.join(ROOT, 'worker', 'demo-build.ts');
  if (!existsSync(modulePath)) return { coldSeconds: null, warmSeconds: null, note: 'worker/demo-build.ts does not exist yet' };
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'cifar101-demo-'));
  // A dev server of its own on free ports, stopped afterwards (a user's server on 7233 is left alone).
  const { startDevServer, stopDevServer, freePort } = await import('../worker/temporal-server');
  const server = await startDevServer({ dbFile: path.join(outDir, 'temporal.db'), logFile: path.join(outDir, 'temporal.log'), port: await freePort(), uiPort: await freePort(), detached: false });
  const previous = process.env.TEMPORAL_ADDRESS;
  process.env.TEMPORAL_ADDRESS = server.address;
  try {
    const specifier = '../worker/demo-build';
    const mod = (await import(specifier)) as { runDemoBuild?: (opts: { outDir: string; cold: boolean }) => Promise<void> };
    if (typeof mod.runDemoBuild !== 'function') return { coldSeconds: null, warmSeconds: null, note: 'worker/demo-build has no runDemoBuild export' };
    log('demoBuild: cold');
    let t = performance.now();
    await mod.runDemoBuild({ outDir, cold: true });
    const coldSeconds = round((performance.now() - t) / 1000, 4);
    log('demoBuild: warm');
    t = performance.now();
    await mod.runDemoBuild({ outDir, cold: false });
    const warmSeconds = round((performance.now() - t) / 1000, 4);
    return { coldSeconds, warmSeconds, note: null };
  } catch (err) {
    return { coldSeconds: null, warmSeconds: null, note: `failed: ${(err as Error).message.split('\n')[0]}` };
  } finally {
    if (previous === undefined) delete process.env.TEMPORAL_ADDRESS;
    else process.env.TEMPORAL_ADDRESS = previous;
    await stopDevServer(server.pid);
    await rm(outDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const flags = new Set((cpuinfo.match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: round(os.totalmem() / 2 ** 30),
    isa: ['avx2', 'avx512f', 'avx512_vnni', 'avx_vnni', 'amx_int8'].filter((f) => flags.has(f)),
    node: process.version,
    loadAverageAtStart: os.loadavg().map((x) => round(x)),
  };
}

function fmtSeconds(s: number | null): string {
  if (s === null) return '—';
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function markdown(r: any): string {
  const k = r.knn;
  const d = r.duplicateSearch;
  const p = r.projections;
  const lines = [
    `# Benchmark (${r.mode})`,
    '',
    `${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.isa.join(' ')}; Node ${r.machine.node}; load average at start ${r.machine.loadAverageAtStart.join(' ')}, at end ${r.loadAverageAtEnd.join(' ')}. ${r.date}`,
    '',
    `## kNN: exact top-${k.k}, ${k.queries.toLocaleString('en')} × ${k.references.toLocaleString('en')} images`,
    '',
    '| method | GMAC/s | seconds | exact |',
    '| --- | ---: | ---: | --- |',
    ...k.engines.map((e: EngineRun) => `| lib/knn ${e.engine}${e.queries !== k.queries ? ` (${e.queries} queries)` : ''} | ${e.gmacPerSec} | ${e.seconds} | ${e.exact} |`),
    ...(k.numpy.float64
      ? [
          `| numpy ${k.numpy.float64.method} | ${k.numpyFloat64GmacPerSec} | ${k.numpy.float64.seconds} | ${k.numpy.float64.exact} |`,
          `| numpy ${k.numpy.float32.method} | ${k.numpyFloat32GmacPerSec} | ${k.numpy.float32.seconds} | ${k.numpy.float32.exact} |`,
        ]
      : [`| numpy | failed: ${k.numpy.error} | | |`]),
    '',
    `Kernel (${k.engine}): **${k.gmacPerSec} GMAC/s**, ${k.vsNumpyFloat32}× numpy float32, ${k.vsNumpyFloat64}× numpy float64; first call (worker start, references to shared memory) ${k.coldSeconds} s. ` +
      (k.numpy.blas ? `numpy ${k.numpy.blas.numpy}, BLAS ${k.numpy.blas.config ?? k.numpy.blas.build?.name} (core ${k.numpy.blas.corename ?? '?'}, ${k.numpy.blas.threads ?? '?'} threads); float32 GEMM alone ${k.numpy.float32GemmOnlyGmacPerSec} GMAC/s.` : ''),
    `Exact: ${k.exactCheck}.`,
    '',
    `## Duplicate search: ${(d.fileBytes / 1e9).toFixed(2)} GB TinyImages-format file, ${d.references.toLocaleString('en')} references`,
    '',
    '| | GB/s |',
    '| --- | ---: |',
    `| sequential read (one thread, 12.6 MB chunks) | ${d.sequentialReadGbPerSec} |`,
    `| duplicate search, one thread | ${d.gbPerSec} |`,
    `| duplicate search, two threads | ${d.gbPerSecTwoStreams} |`,
    '',
    `One thread: ${d.vsSequentialRead}× sequential read. Planted ${d.planted}, missed ${d.missed} (two threads: ${d.missedTwoStreams}); unexpected matches ${d.unexpectedMatches}; index build ${d.indexBuildSeconds} s.`,
    '',
    '## Projected full scale',
    '',
    '| stage | 1 worker | 8 workers | 100 workers |',
    '| --- | ---: | ---: | ---: |',
    `| findCifar10Keywords (79,302,017 images) | ${WORKERS.map((w) => fmtSeconds(p.findCifar10Keywords[`workers${w}Seconds`])).join(' | ')} |`,
    `| computeDistances (589,711 × 60,000) | ${WORKERS.map((w) => fmtSeconds(p.computeDistances[`workers${w}Seconds`])).join(' | ')} |`,
    ...(p.computeDistancesNumpyFloat64
      ? [`| computeDistances, numpy float64 rate | ${WORKERS.map((w) => fmtSeconds(p.computeDistancesNumpyFloat64[`workers${w}Seconds`])).join(' | ')} |`]
      : []),
    '',
    p.assumptions,
    '',
    '## Demo build',
    '',
    r.demoBuild.coldSeconds === null ? `Not measured: ${r.demoBuild.note}.` : `Cold ${r.demoBuild.coldSeconds} s, warm ${r.demoBuild.warmSeconds} s.`,
    '',
  ];
  return lines.join('\n');
}

async function main() {
  const quick = process.argv.includes('--quick');
  const sizes = SIZES[quick ? 'quick' : 'full'];
  const started = performance.now();
  const info = machine();
  const knn = await benchKnn(sizes);
  const duplicateSearch = await benchDuplicateSearch(sizes);
  const demoBuild = await benchDemoBuild();
  const results = {
    mode: quick ? 'quick' : 'full',
    date: new Date().toISOString(),
    machine: info,
    loadAverageAtEnd: os.loadavg().map((x) => round(x)),
    totalSeconds: 0,
    knn,
    duplicateSearch,
    projections: projections(knn, duplicateSearch),
    demoBuild,
  };
  results.totalSeconds = round((performance.now() - started) / 1000);
  await writeFile(path.join(__dirname, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  await writeFile(path.join(__dirname, 'results.md'), markdown(results));
  log(`wrote bench/results.json and bench/results.md in ${results.totalSeconds} s`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
