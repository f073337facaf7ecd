import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../../worker/temporal-server';

const ROOT = path.resolve(__dirname, '..', '..');

describe('cifar101 label', () => {
  it('serves the page and the build list on 127.0.0.1, says where, and stops cleanly on SIGINT', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [
      path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '-e',
      `require('./worker/label-command').labelCommand({ outDir: 'artifacts', port: ${port}, release: 'v9' })`,
    ], { cwd: ROOT, env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes('labeling')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no start message: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(out.trim()).toBe(`labeling release v9 at http://127.0.0.1:${port}/ (Ctrl-C to stop)`);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(await page.text()).toContain('<title>CIFAR-10.1 labeling</title>');
      // the page's script: web/page/app.ts bundled into one module, nothing left for the browser to resolve
      const script = await fetch(`http://127.0.0.1:${port}/app.js`);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      const code = await script.text();
      expect(code).toContain('function renderTask(restored)');
      expect(code).not.toMatch(/^\s*(import|export)\b/m);
      expect(await (await fetch(`http://127.0.0.1:${port}/api/builds`)).json()).toEqual({ release: 'v9', builds: [] });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('names the port when it is taken', async () => {
    const port = await freePort();
    const blocker = (await import('node:http')).createServer().listen(port, '127.0.0.1');
    try {
      const run = promisify(execFile)(process.execPath, [
        path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '-e',
        `require('./worker/label-command').labelCommand({ outDir: 'artifacts', port: ${port} }).catch((e) => { console.error(e.message); process.exitCode = 1; })`,
      ], { cwd: ROOT, env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress') } });
      await expect(run).rejects.toMatchObject({ stderr: expect.stringContaining(`--port: port ${port} is in use: pick another with --port`) });
    } finally {
      blocker.close();
    }
  });
});
