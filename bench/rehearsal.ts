/**
 * The full-scale rehearsal (`npm run rehearsal [-- --images N --candidates M
 * --out DIR]`, `-- --quick` for a small run in a few minutes): generates the
 * corpus (cached), starts a Temporal dev server of its own, and builds v6 (v4
 * as its child workflow) with the simulated labeler in worker processes, at
 * the full shape and at smaller fractions of it. It measures every stage from
 * the event histories (exported to `<out>/histories/`), the workers' memory,
 * a warm rebuild, a worker SIGKILLed in the middle of computeDistances, and
 * the exactness of the distances against numpy; writes bench/rehearsal.json
 * and bench/rehearsal.md.
 */
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { loadReleaseConfig } from '../configs';
import { runBuild } from '../worker/build';
import { buildWorkflowId } from '../workflows/build';
import type { BuildResult } from '../workflows/types';
import { Cluster, peakRss, type Tracked, type WorkerProcess } from './rehearsal/cluster';
import { ensureCorpus, scaleCorpusBytes, type CorpusRun, type ScaleCorpusOptions } from './rehearsal/corpus';
import { budgetVerdict, exportHistories, readHistory, type ActivityRow, type WorkflowStats } from './rehearsal/histories';
import { killMidStage, redoneWork, releaseDigest, type KillObservation } from './rehearsal/kill';
import { markdown } from './rehearsal/report';
import { analysis, stageCosts, workOf, type StageCost } from './rehearsal/stages';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);
const CONFIG = { v4: path.join(ROOT, 'configs', 'v4.yaml'), v6: path.join(ROOT, 'configs', 'v6.yaml') };
const FULL = { images: 5_000_000, candidates: 589_711 };
/** --quick: a small corpus (fewer CIFAR-10 images too), for trying the harness in a few minutes. */
const QUICK = { images: 160_000, candidates: 24_000, cifarTrain: 5_000, cifarTest: 1_000 };

interface Options {
  corpus: ScaleCorpusOptions;
  out: string;
  report: string;
  fractions: number[];
  sample: number;
  sizes: boolean;
  kill: boolean;
  killRelease: 'v4' | 'v6';
  killAt: number;
  chunkDelayMs: number;
  keepStores: boolean;
  quick: boolean;
  /** Only write <report>.md again from <report>.json (after an edit of the report's layout). */
  markdownOnly: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      images: { type: 'string' }, candidates: { type: 'string' }, 'cifar-train': { type: 'string' }, 'cifar-test': { type: 'string' },
      out: { type: 'string' }, report: { type: 'string' }, fractions: { type: 'string' }, sample: { type: 'string' },
      'no-sizes': { type: 'boolean' }, 'no-kill': { type: 'boolean' }, 'kill-release': { type: 'string' }, 'kill-at': { type: 'string' },
      'chunk-delay-ms': { type: 'string' }, 'keep-stores': { type: 'boolean' }, quick: { type: 'boolean' }, 'markdown-only': { type: 'boolean' },
    },
  });
  const quick = values.quick ?? false;
  const base: ScaleCorpusOptions = quick ? { ...QUICK } : { ...FULL };
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v.replace(/[_,]/g, '')));
  const corpus: ScaleCorpusOptions = {
    images: num(values.images) ?? base.images,
    candidates: num(values.candidates) ?? base.candidates,
    ...((num(values['cifar-train']) ?? base.cifarTrain) ? { cifarTrain: num(values['cifar-train']) ?? base.cifarTrain } : {}),
    ...((num(values['cifar-test']) ?? base.cifarTest) ? { cifarTest: num(values['cifar-test']) ?? base.cifarTest } : {}),
  };
  const fraction = (f: string) => {
    const [a, b] = f.split('/').map(Number);
    return b ? a / b : a;
  };
  return {
    corpus,
    out: path.resolve(values.out ?? path.join(ROOT, 'artifacts', 'rehearsal')),
    report: path.resolve(values.report ?? path.join(__dirname, 'rehearsal')),
    fractions: (values.fractions ?? (quick ? '1/4,1/2' : '1/16,1/4')).split(',').map(fraction),
    sample: num(values.sample) ?? 1024,
    sizes: !values['no-sizes'],
    kill: !values['no-kill'],
    killRelease: values['kill-release'] === 'v4' ? 'v4' : 'v6',
    killAt: Number(values['kill-at'] ?? 0.5),
    // At quick sizes a shard is over in well under a second: slow the chunks down (tests/helpers/worker-process.ts) so the kill lands inside one.
    chunkDelayMs: num(values['chunk-delay-ms']) ?? (quick ? 100 : 0),
    keepStores: values['keep-stores'] ?? false,
    quick,
    markdownOnly: values['markdown-only'] ?? false,
  };
}

const WORKFLOW_TASK_TARGET = 'workflow task ≤ 1 s';

/**
 * The workflow-task target, twice: in the builds that ran without a failure,
 * and in the killed-worker build, where the replacement worker's first task
 * replays the history of the workflow it takes over (its cost grows with
 * that history, so it is reported apart rather than hidden in the maximum).
 */
function workflowTaskTargets(workflows: Array<{ phase: string; workflowId: string; maxWorkflowTaskSeconds: number }>): Array<{ target: string; value: string; met: boolean }> {
  const slowest = (ws: typeof workflows) => ws.reduce((best, w) => (w.maxWorkflowTaskSeconds > best.maxWorkflowTaskSeconds ? w : best), ws[0]);
  const plain = workflows.filter((w) => w.phase !== 'kill');
  const killed = workflows.filter((w) => w.phase === 'kill');
  const rows = [];
  if (plain.length) {
    const w = slowest(plain);
    rows.push({ target: `${WORKFLOW_TASK_TARGET} (builds without a failure)`, value: `${round(w.maxWorkflowTaskSeconds, 3)} s (${w.workflowId})`, met: w.maxWorkflowTaskSeconds <= 1 });
  }
  if (killed.length) {
    const w = slowest(killed);
    rows.push({ target: `${WORKFLOW_TASK_TARGET} (the killed-worker build: the new worker's first task replays the history)`, value: `${round(w.maxWorkflowTaskSeconds, 3)} s (${w.workflowId})`, met: w.maxWorkflowTaskSeconds <= 1 });
  }
  return rows;
}

function log(msg: string): void {
  process.stderr.write(`[rehearsal ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

const round = (x: number, digits = 4) => Number(x.toPrecision(digits));
const loadAverage = () => os.loadavg().map((x) => round(x, 3));

async function bytesOnDisk(dir: string): Promise<number> {
  if (!existsSync(dir)) return 0;
  const { stdout } = await run('du', ['-sb', dir]);
  return Number(stdout.split('\t')[0]);
}

/** Pages of a file in the page cache, as a fraction (fincore), or null where fincore is missing. */
async function cachedFraction(file: string): Promise<number | null> {
  try {
    const { stdout } = await run('fincore', ['--bytes', '--noheadings', '--output', 'RES,SIZE', file]);
    const [res, size] = stdout.trim().split(/\s+/).map(Number);
    return size ? round(res / size, 3) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- one build

interface Build {
  name: string;
  queue: string;
  store: string;
  wallSeconds: number;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
  /** Share of tiny_images.bin in the page cache when the build started. */
  tinyImagesCached: number | null;
  result: BuildResult;
  workflowIds: { v4: string; v6: string };
  rows: ActivityRow[];
  workflows: WorkflowStats[];
  stages: StageCost[];
  workers: WorkerProcess[];
  kill?: KillObservation;
}

interface Context {
  opts: Options;
  cluster: Cluster;
  client: Client;
  histories: string;
  /** Every worker started, for the memory report. */
  workers: WorkerProcess[];
}

/**
 * Builds v6 (and v4, its child workflow, unless recorded in the store) from
 * `corpus` into `store`, with one worker process on the queue `rehearsal-<name>`
 * (so every phase has workflow IDs of its own), then reads its histories.
 * `during` runs beside the build (the kill).
 */
async function build(
  ctx: Context,
  name: string,
  corpus: CorpusRun,
  store: string,
  opts: {
    fresh: boolean;
    /** The release to build: v6 (v4 first, as its child) unless told. */
    release?: 'v4' | 'v6';
    chunkDelayMs?: number;
    during?: (b: { queue: string; workflowIds: Build['workflowIds']; workers: WorkerProcess[] }) => Promise<KillObservation>;
  },
): Promise<Build> {
  if (opts.fresh) await rm(store, { recursive: true, force: true });
  await mkdir(store, { recursive: true });
  const queue = `rehearsal-${name}`;
  const workflowIds = {
    v4: buildWorkflowId(await loadReleaseConfig(CONFIG.v4), queue),
    v6: buildWorkflowId(await loadReleaseConfig(CONFIG.v6), queue),
  };
  const workers = [await ctx.cluster.startWorker(`${name}-worker`, store, queue, { chunkDelayMs: opts.chunkDelayMs })];
  ctx.workers.push(workers[0]);
  const tinyImagesCached = await cachedFraction(path.join(corpus.info.tinyImagesDir, 'tiny_images.bin'));
  const loadAverageAtStart = loadAverage();
  const release = opts.release ?? 'v6';
  log(`${name}: building ${release === 'v6' ? 'v6 (v4 first)' : release} into ${store}; load average ${loadAverageAtStart.join(' ')}; tiny_images.bin ${tinyImagesCached === null ? '?' : Math.round(tinyImagesCached * 100)}% in page cache`);
  const t0 = performance.now();
  const building = runBuild({
    config: CONFIG[release],
    source: { kind: 'files', tinyimages: corpus.info.tinyImagesDir, cifar10: corpus.info.cifar10Dir, groundTruth: corpus.info.groundTruthFile },
    outDir: store,
    worker: false,
    quiet: true,
    taskQueue: queue,
  });
  const kill = opts.during ? opts.during({ queue, workflowIds, workers }) : undefined;
  const watching = watch(ctx.client, `${queue}-`, building);
  // A failed kill must not leave the build unwatched, nor a failed build the kill loop running.
  const [built, killed] = await Promise.allSettled([building, kill ?? Promise.resolve(undefined)]);
  await watching;
  const wallSeconds = (performance.now() - t0) / 1000;
  for (const w of workers) {
    if (!ctx.workers.includes(w)) ctx.workers.push(w);
    await ctx.cluster.stopWorker(w);
  }
  if (built.status === 'rejected') throw built.reason;
  if (killed.status === 'rejected') throw killed.reason;
  log(`${name}: built in ${wallSeconds.toFixed(1)} s; exporting histories`);
  const rows: ActivityRow[] = [];
  const workflows: WorkflowStats[] = [];
  const payloads = new Map<string, number>();
  for (const h of await exportHistories(ctx.client, ctx.cluster.address, ctx.histories, `${queue}-`)) {
    const read = readHistory(h);
    rows.push(...read.rows);
    workflows.push({ ...read.stats, budget: await budgetVerdict(h.file) });
    for (const [stage, bytes] of read.payloads) {
      const key = `${read.stats.release}/${stage}`;
      payloads.set(key, Math.max(payloads.get(key) ?? 0, bytes));
    }
  }
  const b: Build = {
    name, queue, store, wallSeconds, loadAverageAtStart, loadAverageAtEnd: loadAverage(), tinyImagesCached,
    result: built.value.result, workflowIds, rows, workflows, stages: stageCosts(rows, payloads, workers), workers, kill: killed.value,
  };
  // Each phase's figures as soon as it is over: a long run that fails later still leaves them.
  await mkdir(path.join(ctx.opts.out, 'phases'), { recursive: true });
  const { workers: _w, ...plain } = b;
  await writeFile(path.join(ctx.opts.out, 'phases', `${name}.json`), JSON.stringify({ ...plain, workers: workers.map((w) => ({ name: w.name, pid: w.pid, peakRssBytes: peakRss(w) })) }, null, 1));
  return b;
}

/** Logs, every 30 s until `done` settles, what the phase's running workflows wait for (from the server: no load on the worker). */
async function watch(client: Client, prefix: string, done: Promise<unknown>): Promise<void> {
  let over = false;
  void done.finally(() => (over = true)).catch(() => undefined);
  while (!over) {
    for (let i = 0; i < 300 && !over; i++) await new Promise((r) => setTimeout(r, 100));
    if (over) return;
    const lines: string[] = [];
    try {
      for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
        if (!wf.workflowId.startsWith(prefix)) continue;
        const d = await client.workflow.getHandle(wf.workflowId).describe();
        const all = d.raw.pendingActivities ?? [];
        const started = all.filter((a) => a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED).map((a) => {
          const payload = a.heartbeatDetails?.payloads?.[0];
          const p = (payload ? defaultPayloadConverter.fromPayload(payload) : undefined) as { done?: number; total?: number } | undefined;
          return `${a.activityType?.name}${a.attempt && a.attempt > 1 ? ` attempt ${a.attempt}` : ''}${p?.total ? ` ${p.done}/${p.total}` : ''}`;
        });
        const waiting = all.length - started.length;
        if (all.length) lines.push(`${wf.workflowId.slice(prefix.length)}: ${started.join(', ') || 'none started'}${waiting ? ` (+${waiting} waiting for a slot)` : ''}`);
      }
    } catch {
      continue;
    }
    log(`  running: ${lines.join('; ') || '(workflow tasks)'}; load ${os.loadavg()[0].toFixed(2)}`);
  }
}

// ---------------------------------------------------------------- phases

/** A smaller size: images and candidates both scaled by `fraction` (CIFAR-10 kept), cold build, then its store removed. */
async function sizeRun(ctx: Context, fraction: number) {
  const { corpus: full, out } = ctx.opts;
  const opts: ScaleCorpusOptions = { ...full, images: Math.round(full.images * fraction), candidates: Math.round(full.candidates * fraction) };
  log(`size ${fraction}: corpus of ${opts.images.toLocaleString('en')} images, ${opts.candidates.toLocaleString('en')} candidates`);
  const corpus = await ensureCorpus(out, opts, log);
  const label = `s${Math.round(1 / fraction)}`;
  const b = await build(ctx, label, corpus, path.join(out, 'stores', label), { fresh: true });
  const storeBytes = await bytesOnDisk(b.store);
  if (!ctx.opts.keepStores) await rm(b.store, { recursive: true, force: true });
  return { fraction, corpus, build: b, storeBytes };
}

async function exactness(store: string, b: Build, sample: number, release: 'v4' | 'v6', seed: number) {
  const ofBuild = (id: string) => b.rows.filter((r) => r.build === id);
  const id = b.workflowIds[release];
  const file = (rows: ActivityRow[], type: string, name: string) => {
    const ref = rows.filter((r) => r.type === type).map((r) => (r.result as { files?: Record<string, { path: string }> } | undefined)?.files?.[name]).find(Boolean);
    if (!ref) throw new Error(`${release}: no ${name} in the results of ${type}`);
    return path.join(store, ref.path);
  };
  const files = [
    file(ofBuild(id), 'buildKeywordSubsets', 'candidate_images.npy'),
    file(b.rows, 'extractSources', 'cifar10_images.npy'),
    file(b.rows.filter((r) => r.workflowId === `${id}/computeDistances`), 'mergeShards', 'neighbors.npy'),
    file(b.rows.filter((r) => r.workflowId === `${id}/computeDistances`), 'mergeShards', 'distances.npy'),
  ];
  log(`exactness ${release}: ${sample} candidates against numpy float64`);
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: path.join(ROOT, '.tools', 'py') };
  const { stdout } = await run(process.env.PYTHON ?? 'python3', [path.join(__dirname, 'rehearsal', 'exactness.py'), ...files, String(sample), String(seed)], { env, maxBuffer: 1 << 26 });
  return { release, files: files.map((f) => path.relative(store, f)), ...JSON.parse(stdout) };
}

type Machine = { cpu: string; cores: number; memoryGiB: number; node: string; loadAverageAtStart: number[]; freeDiskBytes: number; date: string };

async function main() {
  const opts = options();
  if (opts.markdownOnly) {
    // The growth and the projection again too, from the stage figures the JSON keeps.
    const results = JSON.parse(await readFile(`${opts.report}.json`, 'utf8')) as Results;
    Object.assign(results, analysis(results.sizes.map((s) => s.stages), results.cold.wallSeconds));
    results.targets = [...results.targets.filter((t) => !t.target.startsWith(WORKFLOW_TASK_TARGET)), ...workflowTaskTargets(results.limits.workflows)];
    await writeFile(`${opts.report}.json`, JSON.stringify(results, null, 2) + '\n');
    await writeFile(`${opts.report}.md`, markdown(results));
    return;
  }
  const started = performance.now();
  await mkdir(opts.out, { recursive: true });
  const histories = path.join(opts.out, 'histories');
  await rm(histories, { recursive: true, force: true });
  const free = await statfs(opts.out);
  const machine: Machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), memoryGiB: round(os.totalmem() / 2 ** 30, 3), node: process.version,
    loadAverageAtStart: loadAverage(), freeDiskBytes: free.bavail * free.bsize, date: new Date().toISOString(),
  };
  log(`out ${opts.out}; corpus ${JSON.stringify(opts.corpus)}; load average ${machine.loadAverageAtStart.join(' ')}`);

  // A server of this run's own: workflows of an earlier run must not mix into the histories.
  await rm(path.join(opts.out, 'server'), { recursive: true, force: true });
  const cluster = await Cluster.start(path.join(opts.out, 'server'));
  process.env.TEMPORAL_ADDRESS = cluster.address;
  const connection = await Connection.connect({ address: cluster.address });
  const ctx: Context = { opts, cluster, client: new Client({ connection }), histories, workers: [] };
  // Interrupted: no worker or server left behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cluster.stop().finally(() => process.exit(130)));
  }
  try {
    // Smaller sizes first: a harness problem shows in minutes, not after the full corpus.
    const small = [];
    if (opts.sizes) for (const f of [...opts.fractions].sort((a, b) => a - b)) small.push(await sizeRun(ctx, f));

    log(`full shape: corpus of ${opts.corpus.images.toLocaleString('en')} images (${(scaleCorpusBytes(opts.corpus) / 1e9).toFixed(1)} GB)`);
    const corpus = await ensureCorpus(opts.out, opts.corpus, log);
    log(`corpus ${corpus.cached ? 'found' : 'generated'}: ${corpus.generateSeconds === null ? '?' : corpus.generateSeconds.toFixed(0)} s, ${(corpus.info.bytes / 1e9).toFixed(1)} GB`);
    const coldStore = path.join(opts.out, 'stores', 'cold');
    const cold = await build(ctx, 'cold', corpus, coldStore, { fresh: true });
    const coldStoreBytes = await bytesOnDisk(coldStore);
    const warm = await build(ctx, 'warm', corpus, coldStore, { fresh: false });
    // What `cifar101 build` costs when warm: its worker in the same process (the workflow bundle made first).
    log('warm, worker in the client process (as `cifar101 build` runs)');
    const t = performance.now();
    await runBuild({
      config: CONFIG.v6, outDir: coldStore, quiet: true, taskQueue: 'rehearsal-warmcli',
      source: { kind: 'files', tinyimages: corpus.info.tinyImagesDir, cifar10: corpus.info.cifar10Dir, groundTruth: corpus.info.groundTruthFile },
    });
    const warmCliSeconds = (performance.now() - t) / 1000;

    const exact = [];
    for (const release of ['v6', 'v4'] as const) exact.push(await exactness(coldStore, cold, opts.sample, release, 101));

    let killed: Awaited<ReturnType<typeof killRun>> | null = null;
    if (opts.kill) killed = await killRun(ctx, corpus, cold);

    const sizes = [...small.map((s) => ({ fraction: s.fraction, corpus: s.corpus, build: s.build })), { fraction: 1, corpus, build: cold }];
    const disk = {
      corpusBytes: corpus.info.bytes,
      smallCorpusBytes: small.reduce((n, s) => n + s.corpus.info.bytes, 0),
      coldStoreBytes,
      killStoreBytes: killed?.storeBytes ?? null,
      smallStoreBytes: small.map((s) => s.storeBytes),
      historiesBytes: await bytesOnDisk(histories),
      serverBytes: await bytesOnDisk(path.join(opts.out, 'server')),
    };
    if (!opts.keepStores) await rm(coldStore, { recursive: true, force: true });
    await cluster.stop();
    const results = summarize({ opts, machine, corpus, cold, warm, warmCliSeconds, sizes, exact, killed, disk, processes: cluster.processes, totalSeconds: (performance.now() - started) / 1000 });
    await writeFile(`${opts.report}.json`, JSON.stringify(results, null, 2) + '\n');
    await writeFile(`${opts.report}.md`, markdown(results));
    log(`wrote ${path.relative(ROOT, opts.report)}.json and .md in ${results.totalSeconds} s`);
  } finally {
    await connection.close();
    await cluster.stop();
  }
}

/** A cold build in a fresh store whose worker is SIGKILLed in the middle of computeDistances; compared with the uninterrupted build. */
async function killRun(ctx: Context, corpus: CorpusRun, reference: Build) {
  const store = path.join(ctx.opts.out, 'stores', 'kill');
  const release = ctx.opts.killRelease;
  const b = await build(ctx, 'kill', corpus, store, {
    fresh: true,
    release,
    chunkDelayMs: ctx.opts.chunkDelayMs,
    during: async ({ queue, workflowIds, workers }) => {
      const { observation, replacement } = await killMidStage(ctx.client, ctx.cluster, workers[0], `${workflowIds[release]}/computeDistances`, {
        killAt: ctx.opts.killAt, store, queue, name: 'kill-worker-2', chunkDelayMs: ctx.opts.chunkDelayMs,
      });
      workers.push(replacement);
      const p = observation.pending.map((s) => `${s.done}/${s.total}`).join(', ');
      log(`kill: SIGKILL worker ${observation.killedPid} ${observation.secondsIntoStage.toFixed(0)} s into ${release} computeDistances, ${observation.completedBefore.length}/${observation.shards} shards done, running ${p}`);
      return observation;
    },
  });
  const redone = redoneWork(b.kill!, b.rows);
  const compared = [];
  for (const r of release === 'v6' ? (['v4', 'v6'] as const) : (['v4'] as const)) {
    const [a, want] = [await releaseDigest(path.join(store, 'releases', r)), await releaseDigest(path.join(reference.store, 'releases', r))];
    const differ = [...new Set([...Object.keys(a), ...Object.keys(want)])].filter((f) => a[f] !== want[f]);
    compared.push({ release: r, files: Object.keys(want).length, differ });
  }
  const storeBytes = await bytesOnDisk(store);
  if (!ctx.opts.keepStores) await rm(store, { recursive: true, force: true });
  return { build: b, release, redone, compared, storeBytes, workerCommand: b.workers[0].command.join(' ') };
}

// ---------------------------------------------------------------- results

function summarize(r: {
  opts: Options;
  machine: Machine;
  corpus: CorpusRun;
  cold: Build;
  warm: Build;
  warmCliSeconds: number;
  sizes: Array<{ fraction: number; corpus: CorpusRun; build: Build }>;
  exact: any[];
  killed: Awaited<ReturnType<typeof killRun>> | null;
  disk: { corpusBytes: number; smallCorpusBytes: number; coldStoreBytes: number; killStoreBytes: number | null; smallStoreBytes: number[]; historiesBytes: number; serverBytes: number };
  processes: Tracked[];
  totalSeconds: number;
}) {
  const { cold, warm, killed } = r;
  const builds = [...r.sizes.map((s) => s.build).filter((b) => b !== cold), cold, warm, ...(killed ? [killed.build] : [])];
  const workflows = builds.flatMap((b) => b.workflows.map((w) => ({ phase: b.name, ...w })));
  const maxBy = <T>(items: T[], f: (x: T) => number) => items.reduce((best, x) => (f(x) > f(best) ? x : best), items[0]);
  const largest = maxBy(workflows, (w) => w.largestPayload.bytes);
  const mostEvents = maxBy(workflows, (w) => w.events);
  const biggest = maxBy(workflows, (w) => w.jsonBytes);
  const slowestTask = maxBy(workflows, (w) => w.maxWorkflowTaskSeconds);
  const stageRows = (b: Build) => b.stages.map((s) => ({
    release: s.release, stage: s.stage, wallSeconds: round(s.wallSeconds), activitySeconds: round(s.activitySeconds), cpuSeconds: round(s.cpuSeconds ?? 0), activities: s.activities,
    cached: s.cached, computed: s.computed, retried: s.retried, peakRssBytes: s.peakRssBytes, largestPayloadBytes: s.largestPayloadBytes, driver: s.driver, work: s.work,
  }));
  const buildWall = (b: Build) => Object.fromEntries(b.workflows.filter((w) => !w.workflowId.includes('/')).map((w) => [w.release, round((w.closedAt - w.startedAt) / 1000)]));
  const work = workOf(cold.rows);
  const byProcess = r.processes.map((p) => ({ name: p.name, role: p.role, pid: p.pid, peakRssBytes: peakRss(p) }));
  const workerPeak = maxBy(byProcess.filter((p) => p.role === 'worker'), (p) => p.peakRssBytes);
  const harnessPeak = process.resourceUsage().maxRSS * 1024;
  const numpyPeak = Math.max(0, ...r.exact.map((e) => e.peakRssBytes ?? 0));
  const kill = killed && {
    release: killed.release,
    workerCommand: killed.workerCommand,
    wallSeconds: round(killed.build.wallSeconds),
    loadAverageAtStart: killed.build.loadAverageAtStart,
    killedAt: {
      secondsIntoStage: round(killed.build.kill!.secondsIntoStage),
      shardsCompleted: killed.build.kill!.completedBefore.length,
      shards: killed.build.kill!.shards,
      running: killed.build.kill!.pending,
      chunk: killed.build.kill!.chunk,
      checkpointFiles: killed.build.kill!.checkpointFiles,
    },
    ...killed.redone,
    redoneFraction: round(killed.redone.redoneFraction),
    redoneFractionLower: round(killed.redone.redoneFractionLower),
    stageWallSeconds: round(killed.build.stages.find((s) => s.release === killed.release && s.stage === 'computeDistances')?.wallSeconds ?? 0),
    uninterruptedStageWallSeconds: round(cold.stages.find((s) => s.release === killed.release && s.stage === 'computeDistances')?.wallSeconds ?? 0),
    releases: killed.compared,
    identical: killed.compared.every((c) => c.differ.length === 0),
  };
  const GiB = 2 ** 30;
  const targets = [
    { target: 'cold v4 + v6 ≤ 15 min (stretch 8)', value: `${round(cold.wallSeconds / 60, 3)} min`, met: cold.wallSeconds <= 900 },
    { target: 'warm rebuild ≤ 10 s', value: `${round(warm.wallSeconds, 3)} s (worker running); ${round(r.warmCliSeconds, 3)} s with the worker in the client`, met: warm.wallSeconds <= 10 },
    { target: 'peak RSS ≤ 4 GiB in any process', value: `${round(Math.max(workerPeak.peakRssBytes, harnessPeak, numpyPeak) / GiB, 3)} GiB`, met: Math.max(...byProcess.map((p) => p.peakRssBytes), harnessPeak, numpyPeak) <= 4 * GiB },
    { target: 'largest payload ≤ 256 KB', value: `${largest.largestPayload.bytes} bytes`, met: largest.largestPayload.bytes <= 256 * 1024 },
    { target: 'each history ≤ 10,000 events and ≤ 10 MB', value: `${mostEvents.events} events, ${round(biggest.jsonBytes / 2 ** 20, 3)} MiB JSON`, met: mostEvents.events <= 10_000 && biggest.jsonBytes <= 10 * 2 ** 20 },
    ...(kill ? [{ target: 'killed worker: release byte-identical', value: kill.identical ? 'identical' : 'differs', met: kill.identical }] : []),
    { target: 'exactness: no mismatches', value: r.exact.map((e) => `${e.release} ${e.mismatches}/${e.checked}`).join(', '), met: r.exact.every((e) => e.mismatches === 0) },
    ...workflowTaskTargets(workflows.map((w) => ({ phase: w.phase, workflowId: w.workflowId, maxWorkflowTaskSeconds: w.maxWorkflowTaskSeconds }))),
  ];
  return {
    mode: r.opts.quick ? 'quick' : 'full',
    machine: { ...r.machine, loadAverageAtEnd: loadAverage() },
    totalSeconds: round(r.totalSeconds),
    corpus: {
      images: r.corpus.info.counts.tinyImages,
      cifar10: r.corpus.info.counts.cifarTrain + r.corpus.info.counts.cifarTest,
      candidates: r.corpus.info.counts.candidates,
      candidatesByRelease: Object.fromEntries(Object.entries(work).map(([rel, w]) => [rel, w.candidates])),
      generateSeconds: r.corpus.generateSeconds === null ? null : round(r.corpus.generateSeconds),
      generatedNow: !r.corpus.cached,
      loadAverageAtGeneration: r.corpus.loadAverageAtStart.map((x) => round(x, 3)),
      bytes: r.corpus.info.bytes,
      dir: r.corpus.info.dir,
      counts: r.corpus.info.counts,
    },
    cold: {
      wallSeconds: round(cold.wallSeconds),
      releases: buildWall(cold),
      loadAverageAtStart: cold.loadAverageAtStart,
      loadAverageAtEnd: cold.loadAverageAtEnd,
      tinyImagesInPageCache: cold.tinyImagesCached,
      workerCommand: cold.workers[0].command.join(' '),
      stages: stageRows(cold),
    },
    warm: {
      wallSeconds: round(warm.wallSeconds),
      cliWallSeconds: round(r.warmCliSeconds),
      releases: buildWall(warm),
      loadAverageAtStart: warm.loadAverageAtStart,
      stages: stageRows(warm),
    },
    limits: {
      largestPayloadBytes: largest.largestPayload.bytes,
      largestPayloadAt: { workflowId: largest.workflowId, phase: largest.phase, ...largest.largestPayload },
      maxHistoryEvents: mostEvents.events,
      maxHistoryEventsAt: mostEvents.workflowId,
      maxHistoryBytes: biggest.jsonBytes,
      maxHistoryBytesAt: biggest.workflowId,
      maxServerHistoryBytes: Math.max(...workflows.map((w) => w.serverBytes)),
      maxWorkflowTaskSeconds: round(slowestTask.maxWorkflowTaskSeconds),
      maxWorkflowTaskAt: slowestTask.workflowId,
      historyBudget: { checked: workflows.filter((w) => w.budget.ok !== null).length, withinLimits: workflows.filter((w) => w.budget.ok === true).length },
      historyFiles: 'histories/<encodeURIComponent(workflowId)>.json: "/" in a child workflow ID is written %2F',
      workflows: workflows.map((w) => ({
        phase: w.phase, workflowId: w.workflowId, file: path.relative(r.opts.out, w.file), events: w.events, jsonBytes: w.jsonBytes, serverBytes: w.serverBytes,
        largestPayloadBytes: w.largestPayload.bytes, largestPayloadStage: w.largestPayload.stage, workflowTasks: w.workflowTasks,
        maxWorkflowTaskSeconds: round(w.maxWorkflowTaskSeconds), budgetOk: w.budget.ok, budget: w.budget.output,
      })),
    },
    memory: {
      peakRssBytes: workerPeak.peakRssBytes,
      peakRssProcess: workerPeak.name,
      harnessPeakRssBytes: harnessPeak,
      numpyPeakRssBytes: numpyPeak,
      byProcess,
      method: 'VmRSS of each worker process and the dev server every 200 ms (/proc/<pid>/status), and its VmHWM; per stage, the largest sample in the stage\'s window. The harness (client, corpus generator) from its maxRSS; numpy from its own ru_maxrss.',
    },
    sizes: r.sizes.map((s) => ({
      fraction: s.fraction,
      images: s.corpus.info.counts.tinyImages,
      candidates: s.corpus.info.counts.candidates,
      candidatesByRelease: Object.fromEntries(Object.entries(workOf(s.build.rows)).map(([rel, w]) => [rel, w.candidates])),
      wallSeconds: round(s.build.wallSeconds),
      generateSeconds: s.corpus.generateSeconds === null ? null : round(s.corpus.generateSeconds),
      loadAverageAtStart: s.build.loadAverageAtStart,
      stages: stageRows(s.build),
    })),
    ...analysis(r.sizes.map((s) => s.build.stages), cold.wallSeconds),
    killedWorker: kill,
    exactness: {
      checked: r.exact.reduce((n, e) => n + e.checked, 0),
      mismatches: r.exact.reduce((n, e) => n + e.mismatches, 0),
      releases: r.exact,
    },
    disk: {
      ...r.disk,
      // The small corpora stay cached; their stores are gone before the full run, whose cold and kill stores exist together.
      fullRunPeakBytes: r.disk.corpusBytes + r.disk.smallCorpusBytes + r.disk.coldStoreBytes + (r.disk.killStoreBytes ?? 0) + r.disk.historiesBytes + r.disk.serverBytes,
    },
    targets,
  };
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

export type Results = ReturnType<typeof summarize>;
