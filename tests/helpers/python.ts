import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/**
 * Runs a Python script with the project's reference packages (numpy, scipy
 * from .tools/py, installed by `npm install`) and returns its stdout.
 * Tests use it as the independent reference implementation.
 */
export function runPython(script: string, input?: string): string {
  return execFileSync(process.env.PYTHON ?? 'python3', ['-c', script], {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, PYTHONPATH: path.join(root, '.tools', 'py') },
  });
}
