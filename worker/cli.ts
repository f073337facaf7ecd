import { Client } from '@temporalio/client';
import path from 'node:path';
import { chalk, minimist } from 'zx';
import { loadReleaseConfig } from '../configs';
import { InputError } from '../lib/errors';
import { buildWorkflowId, TASK_QUEUE } from '../workflows/build';
import type { SourceSpec } from '../workflows/types';
import { connect, resolveTarget } from './connection';
import { DEMO_SEED } from './defaults';
import { formatHistory, stageHistory } from './history';
import { LocalServer } from './temporal-server';


const USAGE = `usage: cifar101 <command> [options]

  build <config.yaml> [--source demo | --tinyimages DIR --cifar10 DIR | --published DIR] [--out DIR]
        [--predictions DIR --original-labels FILE] [--no-worker]
                         start the build of a release (or attach to the running one) and wait for it
  label [<release>] [--port N]
                         the labeling page (http://127.0.0.1:8300) for the builds waiting for people
  status                 the builds on the server and the stage each is in
  history <release|workflow-id>
                         every stage of the latest build: state, attempts, time, cache hit
  evaluate --predictions DIR --original-labels FILE.npy --release-labels DIR --out OUT
                         accuracy of models on CIFAR-10 vs each release: tables, CIs, scatter plots
  replay <history.pb[.gz]>...
                         replay recorded build histories against this code (a change that would break builds in flight fails)
  record-history <workflow-id> <file.pb.gz> [--run-id ID]
                         save a build's event history for replay tests
  worker                 run a worker (more workers, here or elsewhere, share the shards)
  server start|stop|status
                         the local Temporal dev server (state in <out>/temporal.db, UI on 8233)

  --out DIR              artifacts folder (default: artifacts)
  --task-queue NAME      name of the deployment: workflow IDs start with it, workers poll NAME-store-<id of --out> (default: cifar101)
  --concurrency N        (worker) activities run at once (default: the number of cores)
  TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE: use another Temporal server instead of the local one`;

function sourceOf(args: minimist.ParsedArgs): SourceSpec {
  if (args.published) return { kind: 'published', dir: path.resolve(args.published) };
  if (args.tinyimages || args.cifar10) {
    if (!args.tinyimages || !args.cifar10) throw new InputError('--tinyimages and --cifar10 go together', 'command line');
    return { kind: 'files', tinyimages: path.resolve(args.tinyimages), cifar10: path.resolve(args.cifar10) };
  }
  if (args.source && args.source !== 'demo') throw new InputError(`unknown source "${args.source}" (demo, or --tinyimages/--cifar10)`, '--source');
  return { kind: 'demo', seed: DEMO_SEED };
}

async function withClient<T>(outDir: string, body: (client: Client) => Promise<T>): Promise<T> {
  const target = await resolveTarget(outDir, { start: false });
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

async function main(argv: string[]): Promise<void> {
  const args = minimist(argv, { string: ['run-id', 'port', 'host', 'published', 'task-queue', 'concurrency', 'out', 'source', 'tinyimages', 'cifar10', 'predictions', 'original-labels', 'release-labels'], boolean: ['worker', 'help'], default: { worker: true } });
  const [command, ...rest] = args._;
  const outDir = path.resolve(args.out ?? 'artifacts');
  switch (command) {
    case 'build': {
      if (!rest[0]) throw new InputError('which config? e.g. cifar101 build configs/v4.yaml', 'command line');
      const { runBuild } = await import('./build');
      const { result, url } = await runBuild({
        config: rest[0], source: sourceOf(args), outDir, worker: args.worker,
        predictionsDir: args.predictions, originalLabels: args['original-labels'], taskQueue: args['task-queue'],
      });
      console.log(chalk.green(`${result.release}: ${result.images} images (${result.perClass.join(' / ')} per class) in ${result.releaseDir}`));
      if (url) console.log(`history: ${url}`);
      return;
    }
    case 'evaluate': {
      for (const key of ['predictions', 'original-labels', 'release-labels', 'out']) {
        if (!args[key]) throw new InputError(`missing --${key}`, 'command line');
      }
      const { evaluatePredictions } = await import('../lib/evaluation');
      const result = await evaluatePredictions({
        predictionsDir: path.resolve(args.predictions),
        originalLabels: path.resolve(args['original-labels']),
        releaseLabelsDir: path.resolve(args['release-labels']),
        outDir,
      });
      for (const r of result.releases) {
        const fit = r.fit ? `, new = ${r.fit.slope.toFixed(3)} x original ${r.fit.intercept < 0 ? '-' : '+'} ${Math.abs(r.fit.intercept).toFixed(2)}` : '';
        console.log(`${r.release}: ${r.rows.length} models${fit}`);
      }
      console.log(`report in ${outDir}`);
      return;
    }
    case 'label': {
      const { labelCommand } = await import('./label-command');
      await labelCommand({ outDir, release: rest[0], port: args.port ? Number(args.port) : undefined, host: args.host });
      return;
    }
    case 'replay': {
      if (!rest.length) throw new InputError('which histories? e.g. cifar101 replay tests/histories/v4-demo.pb.gz', 'command line');
      const { replayHistories } = await import('./replay');
      for (const line of await replayHistories(rest)) console.log(line);
      return;
    }
    case 'record-history': {
      if (rest.length !== 2) throw new InputError('cifar101 record-history <workflow-id> <file.pb.gz> [--run-id ID]', 'command line');
      const { recordHistory } = await import('./replay');
      const events = await withClient(outDir, (client) => recordHistory(client, rest[0], args['run-id'], rest[1]));
      console.log(`${rest[1]}: ${events} events`);
      return;
    }
    case 'status':
      return withClient(outDir, async (client) => {
        const { buildStatuses, formatStatus } = await import('./status');
        console.log(formatStatus(await buildStatuses(client)));
      });
    case 'history':
      if (!rest[0]) throw new InputError('which release? e.g. cifar101 history v6', 'command line');
      return withClient(outDir, async (client) => {
        const queue = args['task-queue'] ?? TASK_QUEUE;
        const id = rest[0].endsWith('.yaml') ? buildWorkflowId(await loadReleaseConfig(rest[0]), queue) : await findBuild(client, rest[0], queue);
        console.log(`${id}\n${formatHistory(await stageHistory(client, id))}`);
      });
    case 'worker': {
      const target = await resolveTarget(outDir, { start: false });
      const { createWorker } = await import('./worker');
      const worker = await createWorker({
        address: target.address, namespace: target.namespace, artifactsDir: outDir,
        taskQueue: args['task-queue'], concurrency: args.concurrency ? Number(args.concurrency) : undefined,
      });
      console.log(`worker ${worker.identity} polling ${target.address}, queue ${worker.taskQueue} (the builds of the store in ${outDir})`);
      try {
        await worker.run(); // SIGINT/SIGTERM shut it down gracefully
      } finally {
        await worker.close();
      }
      return;
    }
    case 'server': {
      const local = new LocalServer(outDir);
      if (rest[0] === 'start') {
        const s = await local.start();
        console.log(`${s.started ? 'started' : 'already running'}: ${s.address} (pid ${s.pid}), Web UI ${s.uiUrl}, log ${s.logFile}`);
      } else if (rest[0] === 'stop') {
        console.log((await local.stop()) ? 'stopped' : 'not running');
      } else if (rest[0] === 'status') {
        const s = await local.status();
        console.log(s ? `running: ${s.address} (pid ${s.pid}), Web UI ${s.uiUrl}` : 'not running');
      } else throw new InputError('server start|stop|status', 'command line');
      return;
    }
    default:
      console.log(USAGE);
      if (command && !args.help) process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(chalk.red(`cifar101: ${err instanceof Error ? err.message : String(err)}`));
  process.exitCode = 1;
});
