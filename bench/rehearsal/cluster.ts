// The rehearsal's own Temporal dev server and its build workers, each in a
// process of its own (as users run `cifar101 worker`), so that their memory
// can be sampled and one can be killed for real.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, isAlive, startDevServer, stopDevServer, type DevServer } from '../../worker/temporal-server';

const ROOT = path.resolve(__dirname, '..', '..');
/** tsx's loader by absolute URL, as bin/cifar101.cjs runs the CLI: `node --import` keeps the worker one process, so SIGKILL kills the worker itself. */
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const SAMPLE_MS = 200;
/** Clock ticks per second of /proc/<pid>/stat's CPU times. */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** A process whose memory is sampled: a worker or the server. */
export interface Tracked {
  name: string;
  role: 'worker' | 'server';
  pid: number;
  /** [epoch ms, VmRSS bytes, CPU seconds used so far (user + system, all threads)] every 200 ms while it lives. */
  samples: Array<[number, number, number]>;
  /** VmHWM (peak resident set) at the last sample. */
  hwm: number;
  startedAt: number;
  endedAt: number | null;
}

export interface WorkerProcess extends Tracked {
  role: 'worker';
  child: ChildProcess;
  /** The command line it runs (without node's path). */
  command: string[];
  log: string;
  exited: Promise<void>;
}

/** VmRSS and VmHWM of a live process, in bytes, and the CPU seconds it has used; null when it is gone. */
export function memoryOf(pid: number): { rss: number; hwm: number; cpu: number } | null {
  let status: string;
  let stat: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const rss = kb('VmRSS');
  // Fields after the command name (which may hold spaces): utime and stime are the 14th and 15th of the line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  return Number.isNaN(rss) ? null : { rss, hwm: kb('VmHWM'), cpu };
}

/** CPU seconds a tracked process used within [from, to] (epoch ms), interpolated between its samples. */
export function cpuSeconds(p: Tracked, from: number, to: number): number {
  const at = (t: number) => {
    const s = p.samples;
    if (!s.length || t <= s[0][0]) return s[0]?.[2] ?? 0;
    if (t >= s[s.length - 1][0]) return s[s.length - 1][2];
    let [lo, hi] = [0, s.length - 1];
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (s[mid][0] <= t) lo = mid;
      else hi = mid;
    }
    return s[lo][2] + ((s[hi][2] - s[lo][2]) * (t - s[lo][0])) / (s[hi][0] - s[lo][0]);
  };
  return Math.max(0, at(to) - at(from));
}

/** Peak resident memory of a tracked process within [from, to] (epoch ms), from its samples; the whole life's VmHWM without a window. */
export function peakRss(p: Tracked, from?: number, to?: number): number {
  if (from === undefined || to === undefined) return Math.max(p.hwm, ...p.samples.map((s) => s[1]));
  let peak = 0;
  for (const [t, rss] of p.samples) if (t >= from - SAMPLE_MS && t <= to + SAMPLE_MS) peak = Math.max(peak, rss);
  return peak;
}

export class Cluster {
  readonly processes: Tracked[] = [];
  private readonly timer: NodeJS.Timeout;

  private constructor(readonly server: DevServer, readonly dir: string) {
    this.track({ name: 'temporal dev server', role: 'server', pid: server.pid });
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** A dev server of its own on free ports (state and logs in `dir`); a user's server on 7233 is left alone. */
  static async start(dir: string): Promise<Cluster> {
    await mkdir(path.join(dir, 'logs'), { recursive: true });
    // A free port can be taken by another process before the server binds it (other builds and tests share the machine): try new ones.
    for (let attempt = 1; ; attempt++) {
      try {
        const server = await startDevServer({
          dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'logs', 'temporal.log'), port: await freePort(), uiPort: await freePort(), detached: false,
        });
        return new Cluster(server, dir);
      } catch (err) {
        if (attempt === 3) throw err;
        process.stderr.write(`[rehearsal] ${(err as Error).message.split('\n')[0]}; trying other ports\n`);
      }
    }
  }

  get address(): string {
    return this.server.address;
  }

  /**
   * Starts `cifar101 worker --out <store> --task-queue <queue>` in a process of
   * its own and waits until it polls. `chunkDelayMs` runs the test helper's
   * worker instead (tests/helpers/worker-process.ts, one activity at a time),
   * slowed after each checkpointed chunk: only for kills at sizes where a shard
   * is over in a blink.
   */
  async startWorker(name: string, store: string, queue: string, opts: { chunkDelayMs?: number } = {}): Promise<WorkerProcess> {
    // Bundling the workflows reads the package.json above node_modules: an edit in progress there fails a start, which a retry outlives.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.spawnWorker(attempt === 1 ? name : `${name}-start${attempt}`, store, queue, opts);
      } catch (err) {
        if (attempt === 3) throw err;
        process.stderr.write(`[rehearsal] ${(err as Error).message}; starting it again in 10 s\n`);
        await new Promise((r) => setTimeout(r, 10_000));
      }
    }
  }

  private async spawnWorker(name: string, store: string, queue: string, opts: { chunkDelayMs?: number }): Promise<WorkerProcess> {
    const log = path.join(this.dir, 'logs', `${name}.log`);
    const script = opts.chunkDelayMs
      ? [path.join(ROOT, 'tests', 'helpers', 'worker-process.ts'), '--out', store, '--task-queue', queue, '--chunk-delay-ms', String(opts.chunkDelayMs)]
      : [path.join(ROOT, 'worker', 'cli.ts'), 'worker', '--out', store, '--task-queue', queue];
    const command = ['--import', TSX_LOADER, ...script];
    const fd = openSync(log, 'w');
    const child = spawn(process.execPath, command, { env: { ...process.env, TEMPORAL_ADDRESS: this.address }, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const tracked = this.track({ name, role: 'worker', pid: child.pid! }) as WorkerProcess;
    const exited = new Promise<void>((resolve) => child.once('exit', () => {
      tracked.endedAt = Date.now();
      resolve();
    }));
    Object.assign(tracked, { child, command: command.map((a) => a.replace(ROOT + path.sep, '')), log, exited });
    const deadline = Date.now() + 120_000;
    while (!/polling/.test(await readFile(log, 'utf8').catch(() => ''))) {
      if (tracked.endedAt !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        this.processes.splice(this.processes.indexOf(tracked), 1);
        throw new Error(`worker ${name} did not start (log ${log})`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return tracked;
  }

  /** Stops a worker: SIGTERM (it finishes its tasks' grace time) or SIGKILL, and waits for it to exit. */
  async stopWorker(worker: WorkerProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (worker.endedAt !== null) return;
    this.sampleOne(worker);
    worker.child.kill(signal);
    await worker.exited;
  }

  async stop(): Promise<void> {
    for (const p of this.processes) if (p.role === 'worker' && p.endedAt === null) await this.stopWorker(p as WorkerProcess);
    this.sample();
    clearInterval(this.timer);
    await stopDevServer(this.server.pid);
    this.processes[0].endedAt = Date.now();
  }

  private track(p: Pick<Tracked, 'name' | 'role' | 'pid'>): Tracked {
    const tracked: Tracked = { ...p, samples: [], hwm: 0, startedAt: Date.now(), endedAt: null };
    this.processes.push(tracked);
    return tracked;
  }

  private sample(): void {
    for (const p of this.processes) if (p.endedAt === null) this.sampleOne(p);
  }

  private sampleOne(p: Tracked): void {
    const m = isAlive(p.pid) ? memoryOf(p.pid) : null;
    if (!m) return;
    p.samples.push([Date.now(), m.rss, m.cpu]);
    p.hwm = Math.max(p.hwm, m.hwm);
  }
}
