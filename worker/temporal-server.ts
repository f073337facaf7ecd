import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

/** Search attributes the builds set (workflows/search-attributes.ts), registered on the dev server at start. */
export const SEARCH_ATTRIBUTES = { CifarRelease: 'Keyword', CifarStage: 'Keyword' } as const;
export { CifarRelease, CifarStage } from '../workflows/search-attributes';

export interface DevServer {
  pid: number;
  address: string;
  uiUrl: string;
  dbFile: string;
  logFile: string;
}

/** The Temporal CLI: $TEMPORAL_CLI, the one `npm install` put in .tools/, or `temporal` on PATH. */
export function temporalCli(): string {
  if (process.env.TEMPORAL_CLI) return process.env.TEMPORAL_CLI;
  const local = path.join(root, '.tools', 'temporal', 'bin', 'temporal');
  if (existsSync(local)) return local;
  const found = spawnSync('sh', ['-c', 'command -v temporal'], { encoding: 'utf8' });
  if (found.status === 0) return found.stdout.trim();
  throw new Error('Temporal CLI not found: run `npm install` (it installs it into .tools/) or set TEMPORAL_CLI');
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `temporal server start-dev` in the background: SQLite state in
 * `dbFile` (write-ahead log), Web UI without the news feed (there is no internet), Updates
 * enabled, the project's search attributes registered. Output goes to
 * `logFile`, never to our stdout: a background child holding our stdout
 * open would keep a caller's pipe (and CI) waiting forever.
 */
export async function startDevServer(opts: {
  dbFile: string;
  logFile: string;
  port?: number;
  uiPort?: number;
  detached?: boolean;
}): Promise<DevServer> {
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? port + 1000;
  await mkdir(path.dirname(opts.dbFile), { recursive: true });
  await mkdir(path.dirname(opts.logFile), { recursive: true });
  const args = [
    'server', 'start-dev',
    '--db-filename', opts.dbFile,
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--ui-disable-news-fetch',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value', 'frontend.workerVersioningWorkflowAPIs=true',
    '--log-level', 'warn',
    // A write-ahead log, synced at checkpoints: every step of a build is a few SQLite writes, and this makes them
    // cheaper (warm demo build 4.5 s instead of 5.5 s, measured side by side). Durable across a crash or kill of
    // the server; only the last writes before a power loss may be lost (the server resumes from the state before them).
    '--sqlite-pragma', 'journal_mode=wal',
    '--sqlite-pragma', 'synchronous=normal',
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  if (await waitForPort('127.0.0.1', port, 0)) throw new PortInUseError(port);
  const log = openSync(opts.logFile, 'a');
  const child = spawn(temporalCli(), args, { detached: opts.detached ?? true, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (opts.detached ?? true) child.unref();
  const address = `127.0.0.1:${port}`;
  const ready = await Promise.race([waitForPort('127.0.0.1', port, 60_000), exited.then(() => false)]);
  if (!ready) {
    const tail = (await readFile(opts.logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
    child.kill('SIGKILL');
    throw new Error(`Temporal dev server did not start on ${address} (log ${opts.logFile}):\n${tail}`);
  }
  return { pid: child.pid!, address, uiUrl: `http://127.0.0.1:${uiPort}`, dbFile: opts.dbFile, logFile: opts.logFile };
}

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use`);
  }
}

/** Stops a dev server and waits for it to exit. */
export async function stopDevServer(pid: number, timeoutMs = 15_000): Promise<void> {
  if (!isAlive(pid)) return;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signal(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig); // the whole process group (detached servers lead their own)
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  do {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return true;
    if (Date.now() < deadline) await sleep(200);
  } while (Date.now() < deadline);
  return false;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The local server the CLI manages: its state lives beside the artifacts. */
export class LocalServer {
  readonly stateFile: string;
  constructor(readonly artifactsDir: string) {
    this.stateFile = path.join(artifactsDir, 'temporal-server.json');
  }

  async status(): Promise<DevServer | null> {
    const state = await readFile(this.stateFile, 'utf8').then((t) => JSON.parse(t) as DevServer, () => null);
    return state && isAlive(state.pid) ? state : null;
  }

  /** Starts the server unless it already runs; returns it either way. */
  async start(port = 7233, uiPort = 8233): Promise<DevServer & { started: boolean }> {
    const running = await this.status();
    if (running) return { ...running, started: false };
    const server = await startDevServer({
      dbFile: path.join(this.artifactsDir, 'temporal.db'),
      logFile: path.join(this.artifactsDir, 'logs', 'temporal-server.log'),
      port,
      uiPort,
    });
    await writeFile(this.stateFile, JSON.stringify(server, null, 2));
    return { ...server, started: true };
  }

  async stop(): Promise<boolean> {
    const running = await this.status();
    if (running) await stopDevServer(running.pid);
    await rm(this.stateFile, { force: true });
    return running !== null;
  }
}
