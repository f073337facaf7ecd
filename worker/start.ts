import { chalk } from 'zx';
import { runBuild } from './build';
import { reportFailure } from './logs';

/** `npm start`: builds the demo v4 and v6 releases on the local server and leaves it running. */
async function main(): Promise<void> {
  const links: string[] = [];
  for (const config of ['configs/v4.yaml', 'configs/v6.yaml']) {
    const { result, url } = await runBuild({ config });
    console.log(chalk.green(`${result.release}: ${result.images} images (${result.perClass.join(' / ')} per class) in ${result.releaseDir}`));
    if (url) links.push(url);
  }
  console.log(`\nThe Temporal server keeps running (stop it with \`npx cifar101 server stop\`). The builds in its Web UI:`);
  for (const link of links) console.log(`  ${link}`);
}

main().catch((err) => {
  reportFailure('npm start', err);
  process.exitCode = 1;
});
