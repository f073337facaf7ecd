import { bundleWorkflowCode } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../lib/formats/files';
import { sdkLogger } from './logs';

const root = path.resolve(__dirname, '..');
const WORKFLOWS = path.join(root, 'workflows', 'index.ts');
// What the workflow bundle is made of: our workflow code and the SDK (workflows import only types from elsewhere).
const SOURCES = [path.join(root, 'workflows'), path.join(root, 'package-lock.json')];

function sourceHash(): string {
  const hash = createHash('sha256');
  const add = (file: string) => {
    if (!existsSync(file)) return;
    if (file.endsWith('.ts') || file.endsWith('.json')) hash.update(file).update(readFileSync(file));
    else for (const name of readdirSync(file).sort()) add(path.join(file, name));
  };
  SOURCES.forEach(add);
  return hash.digest('hex').slice(0, 16);
}

let memo: Promise<{ code: string }> | undefined;

/**
 * The workflow bundle, built once and kept in `<artifacts>/bundles/` under a
 * hash of its sources: bundling (webpack) takes seconds, and a warm rebuild
 * should not pay them every time.
 */
export function workflowBundle(artifactsDir: string): Promise<{ code: string }> {
  memo ??= (async () => {
    const file = path.join(artifactsDir, 'bundles', `workflows-${sourceHash()}.js`);
    const cached = await readFile(file, 'utf8').catch(() => null);
    if (cached) return { code: cached };
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: sdkLogger });
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, Buffer.from(code));
    return { code };
  })();
  memo.catch(() => (memo = undefined));
  return memo;
}
