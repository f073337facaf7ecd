// The `cifar101` command line: every command, its options and their help, defined once (commander).
// A command is a `program.command(...)` block below; what it does lives in its own module, imported when it runs.
import type { Client } from '@temporalio/client';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import { chalk } from 'zx';
import { loadReleaseConfig } from '../configs';
import { InputError } from '../lib/errors';
import { buildWorkflowId, TASK_QUEUE } from '../workflows/build';
import type { SourceSpec } from '../workflows/types';
import { connect, resolveTarget } from './connection';
import { DEFAULT_LABEL_PORT, DEMO_SEED, PUBLISHED_DIR } from './defaults';
import { formatHistory, stageHistory } from './history';
import { reportFailure } from './logs';
import { LocalServer } from './temporal-server';

const ENVIRONMENT = `
Environment:
  TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE  use another Temporal server instead of the local one`;

/** A parser for an integer option: a value that is not one is a usage error naming the option. */
function integer(min: number, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected an integer of at least ${min}` : `expected an integer from ${min} to ${max}`);
    }
    return value;
  };
}

/** A parser for a fraction option (0 to 1). */
function fraction(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !(value >= 0 && value <= 1)) throw new InvalidArgumentError('expected a number from 0 to 1');
  return value;
}

// Options more than one command takes; made anew for each command (an Option belongs to one).
const outOption = () => new Option('--out <dir>', 'artifacts folder: the store of cached stages and releases, and the local server\'s state').default('artifacts');
const queueOption = () => new Option('--task-queue <name>', 'name of the deployment: workflow IDs start with it, workers poll <name>-store-<id of --out>').default(TASK_QUEUE);

interface SourceOptions {
  source?: 'demo' | 'synthetic';
  images?: number;
  candidates?: number;
  seed?: number;
  tinyimages?: string;
  cifar10?: string;
  groundTruth?: string;
  pool?: string;
  /** `true` when given without a folder. */
  published?: string | true;
}

/** The options that choose what a build reads; a new source is an option here and a branch in `sourceOf`. */
function sourceOptions(command: Command): Command {
  return command
    .addOption(new Option('--source <kind>', 'a generated corpus: the demo (the default when no files are given), or the full-shape synthetic one (--images, --candidates)')
      .choices(['demo', 'synthetic']).conflicts(['tinyimages', 'published', 'pool']))
    .addOption(new Option('--images <n>', '(--source synthetic) TinyImages images in the corpus').argParser(integer(1)).default(5_000_000))
    .addOption(new Option('--candidates <n>', '(--source synthetic) candidates in the top-50 keywords of the classes').argParser(integer(1)).default(589_711))
    .addOption(new Option('--seed <n>', '(--source synthetic) the corpus\'s seed').argParser(integer(0)).default(101))
    .option('--tinyimages <dir>', 'the TinyImages files (tiny_images.bin, tiny_metadata.bin); with --cifar10')
    .option('--cifar10 <path>', 'CIFAR-10 as distributed: cifar-10-python.tar.gz, cifar-10-binary.tar.gz, either one unpacked, or the binary folder; with --tinyimages or --pool')
    .option('--ground-truth <file>', '(--tinyimages) the ground truth of a generated corpus, for labeling.mode simulated')
    .addOption(new Option('--pool <path>', 'your own images: a folder <class>/<keyword>/<image>, a folder <keyword>/<image> (classes from the config\'s pool.keywordClasses), or a manifest .csv/.jsonl; with --cifar10')
      .conflicts(['tinyimages', 'published']))
    .addOption(new Option('--published [dir]', `rebuild the published release from its intermediate files (without a folder: the repository's copy, ${path.relative(process.cwd(), PUBLISHED_DIR)})`)
      .conflicts(['tinyimages', 'cifar10']));
}

/** What the build reads, from its options: the published files, the original files, or the demo corpus. */
function sourceOf(opts: SourceOptions, command: Command): SourceSpec {
  if (opts.published) return { kind: 'published', dir: opts.published === true ? PUBLISHED_DIR : path.resolve(opts.published) };
  if (opts.pool) {
    if (!opts.cifar10) command.error('--pool needs --cifar10 (CIFAR-10 as distributed, e.g. cifar-10-python.tar.gz)');
    return { kind: 'pool', pool: path.resolve(opts.pool), cifar10: path.resolve(opts.cifar10) };
  }
  if (opts.tinyimages || opts.cifar10) {
    if (!opts.tinyimages || !opts.cifar10) command.error('--tinyimages and --cifar10 go together');
    return { kind: 'files', tinyimages: path.resolve(opts.tinyimages), cifar10: path.resolve(opts.cifar10), ...(opts.groundTruth ? { groundTruth: path.resolve(opts.groundTruth) } : {}) };
  }
  if (opts.source === 'synthetic') return { kind: 'synthetic', images: opts.images!, candidates: opts.candidates!, seed: opts.seed! };
  return { kind: 'demo', seed: DEMO_SEED };
}

async function withClient<T>(outDir: string, body: (client: Client) => Promise<T>): Promise<T> {
  const target = await resolveTarget(path.resolve(outDir), { start: false });
  const { connection, client } = await connect(target, 10_000);
  try {
    return await body(client);
  } finally {
    await connection.close();
  }
}

/** Finds the latest build of a release (or takes a workflow ID as is). */
async function findBuild(client: Client, ref: string, taskQueue: string): Promise<string> {
  if (ref.startsWith(`${taskQueue}-`) && ref.split('-').length > 2) return ref;
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'buildRelease'` })) {
    if (wf.workflowId.startsWith(`${taskQueue}-${ref}-`)) return wf.workflowId;
  }
  throw new InputError('no build of this release on the server', ref);
}

/** The `cifar101` program: commands, options, defaults, validation and help. */
function createProgram(): Command {
  const program = new Command('cifar101')
    .description('CIFAR-10.1 dataset build as durable, reproducible Temporal workflows')
    .usage('<command> [options]')
    // Settings the commands below inherit: usage errors throw (main() sets exit code 2) and show the command's usage.
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(chalk.red(`cifar101: ${text.replace(/^error: /, '')}`)) })
    .addHelpText('afterAll', ENVIRONMENT);

  sourceOptions(program.command('build')
    .description('start the build of a release (or attach to the running one) and wait for it')
    .argument('<config.yaml>', 'the release config, e.g. configs/v6.yaml'))
    .option('--predictions <dir>', 'models\' predictions to evaluate (a folder like CIFAR-10.1\'s model_predictions/); with --original-labels')
    .option('--original-labels <file.npy>', 'the CIFAR-10 test labels the predictions are scored against')
    .option('--no-worker', 'run no worker in this process (workers run elsewhere: cifar101 worker)')
    .addOption(outOption())
    .addOption(queueOption())
    .action(async (config: string, opts, command: Command) => {
      const { runBuild } = await import('./build');
      const { result, url } = await runBuild({
        config, source: sourceOf(opts, command), outDir: opts.out, worker: opts.worker,
        predictionsDir: opts.predictions, originalLabels: opts.originalLabels, taskQueue: opts.taskQueue,
      });
      console.log(chalk.green(`${result.release}: ${result.images} images (${result.perClass.join(' / ')} per class) in ${result.releaseDir}`));
      if (url) console.log(`history: ${url}`);
    });

  program.command('label')
    .description(`the labeling page (http://127.0.0.1:${DEFAULT_LABEL_PORT}) for the builds waiting for people; they sign in with links from \`labelers add\``)
    .argument('[release]', 'only the builds of this release')
    .addOption(new Option('--port <n>', 'port of the page').argParser(integer(0, 65535)).default(DEFAULT_LABEL_PORT))
    .option('--host <address>', 'address to listen on; beyond loopback (0.0.0.0 for every interface) only with labelers defined, and with TLS', '127.0.0.1')
    .option('--tls-cert <file.pem>', 'serve HTTPS with this certificate (with --tls-key)')
    .option('--tls-key <file.pem>', 'the certificate\'s private key')
    .addOption(new Option('--claim-minutes <n>', 'how long an opened task stays its person\'s without activity').argParser(integer(1, 24 * 60)).default(5))
    .addOption(outOption())
    .action(async (release: string | undefined, opts) => {
      const { labelCommand } = await import('./label-command');
      await labelCommand({ outDir: opts.out, release, port: opts.port, host: opts.host, tlsCert: opts.tlsCert, tlsKey: opts.tlsKey, claimMinutes: opts.claimMinutes });
    });

  // The labeling team: who may sign in to the labeling page, in which role (kept in <out>/labelers.json, tokens as hashes).
  const labelers = program.command('labelers')
    .description('the labeling team: add people (each gets a one-time login link), list, revoke, change roles, see their quality');
  const roleArgument = () => new Option('--role <role>', 'labeler: round 1; verifier: also round 2; reviewer: also near-duplicates; admin: also the team page')
    .choices(['labeler', 'verifier', 'reviewer', 'admin']).makeOptionMandatory();
  const urlOption = () => new Option('--url <base>', 'the labeling page\'s address as people reach it (the login link starts with it)').default(`http://127.0.0.1:${DEFAULT_LABEL_PORT}/`);
  labelers.command('add').description('add someone and print their one-time login link')
    .argument('<name>', 'lowercase letters, digits, ".", "_", "-": decisions are signed with it')
    .addOption(roleArgument())
    .option('--reinstate', 'the same person again, after a revoke (their past decisions stay theirs)')
    .addOption(urlOption())
    .addOption(outOption())
    .action(async (name: string, opts) => {
      const { addLabeler } = await import('./labelers');
      console.log(await addLabeler({ outDir: opts.out, name, role: opts.role, reinstate: opts.reinstate, url: opts.url }));
    });
  labelers.command('link').description('a new one-time login link for someone on the team (the previous one stops working)')
    .argument('<name>')
    .addOption(urlOption())
    .addOption(outOption())
    .action(async (name: string, opts) => {
      const { newLink } = await import('./labelers');
      console.log(await newLink({ outDir: opts.out, name, url: opts.url }));
    });
  labelers.command('list').description('the team: roles, last sign-in, access (never a token)')
    .addOption(outOption())
    .action(async (opts) => {
      const { listLabelers } = await import('./labelers');
      console.log(await listLabelers({ outDir: opts.out }));
    });
  labelers.command('revoke').description('end someone\'s sessions and login link at once')
    .argument('<name>')
    .addOption(outOption())
    .action(async (name: string, opts) => {
      const { revokeLabeler } = await import('./labelers');
      console.log(await revokeLabeler({ outDir: opts.out, name }));
    });
  labelers.command('role').description('change someone\'s role (from their next request)')
    .argument('<name>')
    .addArgument(new Argument('<role>').choices(['labeler', 'verifier', 'reviewer', 'admin']))
    .addOption(outOption())
    .action(async (name: string, role: 'labeler' | 'verifier' | 'reviewer' | 'admin', opts) => {
      const { setLabelerRole } = await import('./labelers');
      console.log(await setLabelerRole({ outDir: opts.out, name, role }));
    });
  labelers.command('quality').description('each person\'s accuracy on control images, pace, time and agreement (the admin page\'s table)')
    .addOption(new Option('--min-accuracy <x>', 'flag under this accuracy on controls (0-1)').argParser(fraction).default(0.8))
    .addOption(new Option('--min-controls <n>', '…once this many were answered').argParser(integer(1)).default(10))
    .addOption(outOption())
    .action(async (opts) => {
      const { labelersQuality } = await import('./labelers');
      console.log(await labelersQuality({ outDir: opts.out, minAccuracy: opts.minAccuracy, minControls: opts.minControls }));
    });

  program.command('status')
    .description('the builds on the server and the stage each is in')
    .addOption(outOption())
    .action((opts) => withClient(opts.out, async (client) => {
      const { buildStatuses, formatStatus } = await import('./status');
      console.log(formatStatus(await buildStatuses(client)));
    }));

  program.command('history')
    .description('every stage of the latest build: state, attempts, time, cache hit')
    .argument('<release>', 'a release (v6), its config (configs/v6.yaml) or a workflow ID')
    .addOption(outOption())
    .addOption(queueOption())
    .action((ref: string, opts) => withClient(opts.out, async (client) => {
      const id = ref.endsWith('.yaml') ? buildWorkflowId(await loadReleaseConfig(ref), opts.taskQueue) : await findBuild(client, ref, opts.taskQueue);
      console.log(`${id}\n${formatHistory(await stageHistory(client, id))}`);
    }));

  sourceOptions(program.command('plan')
    .description('before building: each stage cached, to run (and the input that changed) or blocked (waiting for people); changes nothing, starts no workflow')
    .argument('<config.yaml>', 'the release config, e.g. configs/v6.yaml'))
    .option('--json', 'print the plan as JSON')
    .addOption(outOption())
    .addOption(queueOption())
    .action(async (config: string, opts, command: Command) => {
      const { formatPlan, planBuild } = await import('./plan');
      const plan = await planBuild({ config, source: sourceOf(opts, command), outDir: opts.out, taskQueue: opts.taskQueue });
      console.log(opts.json ? JSON.stringify(plan, null, 2) : formatPlan(plan));
    });

  program.command('diff')
    .description('two releases side by side: config keys that differ, stages whose cache keys differ, images added and removed (with the reason the other side left each out), counts per class and keyword, accuracy')
    .argument('<a>', 'a release (v4), a release folder, or a config (configs/v4.yaml)')
    .argument('<b>', 'the same for the other side')
    .option('--json', 'print the diff as JSON')
    .addOption(outOption())
    .action(async (a: string, b: string, opts) => {
      const { diff } = await import('./diff');
      const { formatDiff } = await import('../lib/release-diff');
      const result = await diff(opts.out, a, b);
      console.log(opts.json ? JSON.stringify(result, null, 2) : formatDiff(result));
    });

  program.command('explain')
    .description('everything the build knows of one image, kept or not: its provenance or why it was left out, and a picture of it beside its nearest CIFAR-10 images')
    .argument('<release>', 'a release (v6) or a release folder')
    .argument('<image>', 'a position in the release (12), a source index (ti:51548469) or a pool id (id:cat/kitten/a.png)')
    .option('--json', 'print the explanation as JSON')
    .addOption(outOption())
    .action(async (release: string, image: string, opts) => {
      const { explain, formatExplanation } = await import('./explain');
      const e = await explain(path.resolve(opts.out), release, image);
      console.log(opts.json ? JSON.stringify(e, null, 2) : formatExplanation(e));
    });

  program.command('evaluate')
    .description('accuracy of models on CIFAR-10 vs each release: tables, CIs, scatter plots')
    .requiredOption('--predictions <dir>', 'the models\' predictions (a folder like CIFAR-10.1\'s model_predictions/)')
    .requiredOption('--original-labels <file.npy>', 'the CIFAR-10 test labels')
    .requiredOption('--release-labels <dir>', 'the releases\' label files')
    .requiredOption('--out <dir>', 'where the report goes')
    .action(async (opts) => {
      const { evaluatePredictions } = await import('../lib/evaluation');
      const outDir = path.resolve(opts.out);
      const result = await evaluatePredictions({
        predictionsDir: path.resolve(opts.predictions),
        originalLabels: path.resolve(opts.originalLabels),
        releaseLabelsDir: path.resolve(opts.releaseLabels),
        outDir,
      });
      for (const r of result.releases) {
        const fit = r.fit ? `, new = ${r.fit.slope.toFixed(3)} x original ${r.fit.intercept < 0 ? '-' : '+'} ${Math.abs(r.fit.intercept).toFixed(2)}` : '';
        console.log(`${r.release}: ${r.rows.length} models${fit}`);
      }
      console.log(`report in ${outDir}`);
    });

  program.command('replay')
    .description('replay recorded build histories against this code (a change that would break builds in flight fails)')
    .argument('<history.pb[.gz]...>', 'recorded histories, e.g. tests/histories/*.pb.gz')
    .action(async (files: string[]) => {
      const { replayHistories } = await import('./replay');
      for (const line of await replayHistories(files)) console.log(line);
    });

  program.command('record-history')
    .description('save a build\'s event history for replay tests')
    .argument('<workflow-id>', 'the build')
    .argument('<file.pb.gz>', 'where to save it')
    .option('--run-id <id>', 'a run other than the latest')
    .addOption(outOption())
    .action(async (workflowId: string, file: string, opts) => {
      const { recordHistory } = await import('./replay');
      const events = await withClient(opts.out, (client) => recordHistory(client, workflowId, opts.runId, file));
      console.log(`${file}: ${events} events`);
    });

  program.command('worker')
    .description('run a worker (more workers, here or elsewhere, share the shards)')
    .addOption(new Option('--concurrency <n>', 'activities run at once (default: the number of cores)').argParser(integer(1)))
    .addOption(outOption())
    .addOption(queueOption())
    .action(async (opts) => {
      const outDir = path.resolve(opts.out);
      const target = await resolveTarget(outDir, { start: false });
      const { createWorker } = await import('./worker');
      // A standalone worker keeps its SDK lines on the terminal (at WARN): it prints nothing else, and its output
      // is the log whoever runs it keeps (a terminal, a service manager, a test's file), on whichever machine.
      const worker = await createWorker({ address: target.address, namespace: target.namespace, artifactsDir: outDir, taskQueue: opts.taskQueue, concurrency: opts.concurrency });
      console.log(`worker ${worker.identity} polling ${target.address}, queue ${worker.taskQueue} (the builds of the store in ${outDir})`);
      try {
        await worker.run(); // SIGINT/SIGTERM shut it down gracefully
      } finally {
        await worker.close();
      }
    });

  const server = program.command('server')
    .description('the local Temporal dev server (state in <out>/temporal.db, UI on 8233)');
  server.command('start').description('start it in the background (builds start it too)').addOption(outOption())
    .action(async (opts) => {
      const s = await new LocalServer(path.resolve(opts.out)).start();
      console.log(`${s.started ? 'started' : 'already running'}: ${s.address} (pid ${s.pid}), Web UI ${s.uiUrl}, log ${s.logFile}`);
    });
  server.command('stop').description('stop it').addOption(outOption())
    .action(async (opts) => {
      console.log((await new LocalServer(path.resolve(opts.out)).stop()) ? 'stopped' : 'not running');
    });
  server.command('status').description('whether it runs, and where').addOption(outOption())
    .action(async (opts) => {
      const s = await new LocalServer(path.resolve(opts.out)).status();
      console.log(s ? `running: ${s.address} (pid ${s.pid}), Web UI ${s.uiUrl}` : 'not running');
    });

  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = createProgram();
  if (argv.length === 0) {
    program.outputHelp();
    return;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help asked for is a success; a usage error (already printed, with the usage) is exit code 2.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
    } else {
      reportFailure('cifar101', err);
      process.exitCode = 1;
    }
  }
}

void main(process.argv.slice(2));
