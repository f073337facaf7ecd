// A build worker in a process of its own, as users run `cifar101 worker`, for
// the tests that kill one for real. `--chunk-delay-ms N` slows the long stages
// down (through the activities' afterChunk hook): at demo scale a shard takes
// well under a second, too short to kill a worker in the middle of one.
//   node --import tsx tests/helpers/worker-process.ts --out DIR --task-queue Q --chunk-delay-ms N
import { parseArgs } from 'node:util';
import { resolveTarget } from '../../worker/connection';
import { createWorker } from '../../worker/worker';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'task-queue': { type: 'string' }, 'chunk-delay-ms': { type: 'string', default: '0' } } });
  const target = await resolveTarget(values.out!, { start: false });
  const delay = Number(values['chunk-delay-ms']);
  const worker = await createWorker({
    address: target.address, namespace: target.namespace, artifactsDir: values.out!, taskQueue: values['task-queue'], concurrency: 1,
    afterChunk: delay ? () => new Promise((resolve) => setTimeout(resolve, delay)) : undefined,
  });
  console.log(`worker ${worker.identity} polling ${worker.taskQueue}`);
  try {
    await worker.run();
  } finally {
    await worker.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
