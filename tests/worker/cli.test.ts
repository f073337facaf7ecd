// `cifar101` as users run it (a child process): help from the one definition, usage errors, and a failed build's output.
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { generateDemoCorpus } from '../../lib/demo/generate';
import { ROOT, tempDir, uniqueQueue, useTestServer } from '../helpers/build';

const LOADER = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** Runs `cifar101 ...args`: its exit code and what it printed. CIFAR101_LOG_LEVEL unset: the SDK logs as for users. */
async function cifar101(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { CIFAR101_LOG_LEVEL: _quiet, ...env } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', LOADER, path.join(ROOT, 'worker', 'cli.ts'), ...args], { cwd: ROOT, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

describe('cifar101 --help', () => {
  test('lists every command, and the environment that points it at another server', async () => {
    const { code, stdout } = await cifar101('--help');
    expect(code).toBe(0);
    const section = stdout.split('Commands:\n')[1].split('\n\n')[0];
    const commands = section.split('\n').flatMap((line) => /^ {2}(\S+)/.exec(line)?.[1] ?? []); // continuation lines are indented further
    expect(commands).toEqual(['build', 'label', 'labelers', 'status', 'history', 'plan', 'diff', 'explain', 'evaluate', 'replay', 'record-history', 'worker', 'server', 'help']);
    expect(stdout).toContain('TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE');
  });

  test('gives each command its arguments, options and defaults', async () => {
    const help = async (...args: string[]) => (await cifar101(...args)).stdout.replace(/\s+/g, ' '); // unwrapped
    const build = await help('build', '--help');
    expect(build).toMatch(/^Usage: cifar101 build \[options\] <config\.yaml>/);
    for (const option of ['--source <kind>', '--tinyimages <dir>', '--cifar10 <path>', '--published [dir]', '--pool <path>', '--ground-truth <file>', '--images <n>', '--candidates <n>', '--seed <n>', '--predictions <dir>', '--original-labels <file.npy>', '--no-worker', '--out <dir>', '--task-queue <name>']) {
      expect(build).toContain(option);
    }
    expect(build).toMatch(/the repository's copy, data\/cifar10\.1/);
    expect(build).toContain('(default: "artifacts")');
    expect(await help('label', '--help')).toContain('--port <n> port of the page (default: 8300)');
    expect(await help('help', 'server')).toMatch(/Commands: start \[options\] .* stop \[options\] .* status \[options\] /);
  });
});

describe('usage errors', () => {
  test.each([
    [['frobnicate'], "cifar101: unknown command 'frobnicate'", 'Usage: cifar101 <command> [options]'],
    [['status', '--verbose'], "cifar101: unknown option '--verbose'", 'Usage: cifar101 status [options]'],
    [['label', '--port', 'eighty'], "cifar101: option '--port <n>' argument 'eighty' is invalid. expected an integer from 0 to 65535", 'Usage: cifar101 label'],
    [['build', 'configs/v4.yaml', '--tinyimages', 'data/tiny'], 'cifar101: --tinyimages and --cifar10 go together', 'Usage: cifar101 build'],
    [['build'], "cifar101: missing required argument 'config.yaml'", 'Usage: cifar101 build'],
  ])('cifar101 %j exits 2 with the message and the usage', async (args, message, usage) => {
    const { code, stdout, stderr } = await cifar101(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe(message);
    expect(stderr).toContain(usage);
  });
});

describe('a failed build', () => {
  let source: { tinyimages: string; cifar10: string };

  beforeAll(async () => {
    const corpus = path.join(await tempDir('cli-corpus'), 'data');
    await generateDemoCorpus(corpus, { seed: 5 });
    await rm(path.join(corpus, 'cifar10', 'test_batch.bin'));
    source = { tinyimages: path.join(corpus, 'tinyimages'), cifar10: path.join(corpus, 'cifar10') };
  }, 120_000);

  test('prints one clear line and where the worker\'s log is; the SDK\'s warnings are in that log', async () => {
    useTestServer();
    const outDir = await tempDir('cli-out');
    const { code, stdout, stderr } = await cifar101('build', 'configs/v4.yaml', '--tinyimages', source.tinyimages, '--cifar10', source.cifar10,
      '--out', outDir, '--task-queue', uniqueQueue('cli'));
    expect(code).toBe(1);
    const missing = path.join(source.cifar10, 'test_batch.bin');
    expect(stderr.trim().split('\n')).toEqual([
      `cifar101: build v4 failed: ${missing}: file not found`,
      expect.stringMatching(/^the worker's log: .*\/logs\/worker-\d{8}-\d{6}-\d+\.log$/),
    ]);
    const output = stdout + stderr;
    expect(output).not.toMatch(/\[(WARN|ERROR)\]|^\s+at |taskToken/m);
    const logFile = stderr.trim().split('\n')[1].replace("the worker's log: ", '');
    expect(path.dirname(logFile)).toBe(path.join(outDir, 'logs'));
    const log = await readFile(logFile, 'utf8');
    expect(log).toMatch(/\[WARN\] Activity failed[^]*test_batch\.bin: file not found/);
    expect(log).toMatch(/\[WARN\] Workflow failed/);
  }, 120_000);
});
