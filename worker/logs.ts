// Where the Temporal SDK's log lines go: the terminal, or a log file under the artifact store.
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { formatWithOptions } from 'node:util';
import { chalk } from 'zx';

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
const STARTED = new Date();

/** CIFAR101_LOG_LEVEL when set (tests quiet the SDK with ERROR), else `fallback`. */
function levelOr(fallback: LogLevel): LogLevel {
  const wanted = process.env.CIFAR101_LOG_LEVEL?.toUpperCase() as LogLevel | undefined;
  return wanted && LEVELS.includes(wanted) ? wanted : fallback;
}

interface Destination {
  level: LogLevel;
  /** The log file, or null for the terminal. */
  path: string | null;
  write(entry: LogEntry): void;
  close(): void;
}

/** The terminal (stderr), at WARN: the pollers' and bundler's INFO lines would drown the command's own output. */
const terminal = (): Destination => ({
  level: levelOr('WARN'),
  path: null,
  write: (entry) => process.stderr.write(format(entry, process.stderr.isTTY === true)),
  close: () => undefined,
});

/** A file, at INFO, created at the first line (a run that logs nothing leaves no empty file). */
function logFile(file: string): Destination & { written(): boolean } {
  let fd: number | null = null;
  return {
    level: levelOr('INFO'),
    path: file,
    write(entry) {
      if (fd === null) {
        mkdirSync(path.dirname(file), { recursive: true });
        fd = openSync(file, 'a');
      }
      writeSync(fd, format(entry, false)); // synchronous: the lines before a crash are on disk, in order
    },
    written: () => fd !== null,
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

let destination: Destination = terminal();
let file: ReturnType<typeof logFile> | null = null;

/** One entry as the SDK's default logger prints it: time, level, message, and the meta as util.inspect shows it (errors with their stack). */
function format({ level, message, meta, timestampNanos }: LogEntry, colors: boolean): string {
  const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  return `${time} [${level}] ${message}${meta === undefined ? '' : ` ${formatWithOptions({ colors, depth: 6 }, meta)}`}\n`;
}

/**
 * The logger the SDK's Runtime is installed with (worker/worker.ts), and the
 * workflow bundler's: it writes to wherever this process's SDK lines go now.
 * The Runtime is one per process and installed once, hence one switchable
 * logger rather than one per worker.
 */
export const sdkLogger = new DefaultLogger('TRACE', (entry) => {
  if (LEVELS.indexOf(entry.level) >= LEVELS.indexOf(destination.level)) destination.write(entry);
});

/** The log file of this process for the store in `outDir`: `<outDir>/logs/worker-<start time>-<pid>.log`. */
function workerLogPath(outDir: string): string {
  const stamp = STARTED.toISOString().replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '-');
  return path.join(path.resolve(outDir), 'logs', `worker-${stamp}-${process.pid}.log`);
}

/**
 * Sends the SDK's lines to the log file of the store in `outDir` from now on
 * (an in-process worker: the terminal is for the build's progress).
 */
export function logToStore(outDir: string): void {
  const wanted = workerLogPath(outDir);
  if (destination.path === wanted) return;
  destination.close();
  destination = file = logFile(wanted);
}

/** The log file this process has written SDK lines to, if any. */
export function currentLogFile(): string | null {
  return file?.written() ? file.path : null;
}

/**
 * The one clear line of a failed command, and where the SDK's log is when
 * there is one (its WARN blocks, task tokens and stack frames stay there).
 */
export function reportFailure(command: string, err: unknown): void {
  console.error(chalk.red(`${command}: ${err instanceof Error ? err.message : String(err)}`));
  const file = currentLogFile();
  if (file) console.error(`the worker's log: ${file}`);
}
