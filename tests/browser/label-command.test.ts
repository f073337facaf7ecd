import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../worker/temporal-server';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cifar101-label-command-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs `labelCommand(args)` in a child process until it prints its address; the address and everything printed so far. */
async function startLabel(args: string) {
  const child = spawn(process.execPath, [TSX, '-e', `require('./worker/label-command').labelCommand(${args})`],
    { cwd: ROOT, env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 30_000;
  while (!out.includes('(Ctrl-C to stop)')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGINT');
      throw new Error(`no start message: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 200)); // the lines after the address
  return { child, exited, out: () => out };
}

describe('cifar101 label', () => {
  it('serves the page on 127.0.0.1, says where and how to let people in, keeps the builds for the signed-in, and stops cleanly on SIGINT', async () => {
    const port = await freePort();
    const { child, exited, out } = await startLabel(`{ outDir: ${JSON.stringify(path.join(dir, 'store'))}, port: ${port}, release: 'v9' }`);
    try {
      expect(out().trim().split('\n')).toEqual([
        `labeling release v9 at http://127.0.0.1:${port}/ (Ctrl-C to stop)`,
        `nobody can sign in yet: npx cifar101 labelers add NAME --role admin --url http://127.0.0.1:${port}/ prints a login link`,
      ]);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(await page.text()).toContain('<title>CIFAR-10.1 labeling</title>');
      // the page's script: web/page/app.ts bundled into one module, nothing left for the browser to resolve
      const script = await fetch(`http://127.0.0.1:${port}/app.js`);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      const code = await script.text();
      expect(code).toContain('function renderTask(restored)');
      expect(code).not.toMatch(/^\s*(import|export)\b/m);
      const builds = await fetch(`http://127.0.0.1:${port}/api/builds`);
      expect([builds.status, await builds.json()]).toEqual([401, { error: 'not signed in: open the login link an admin gave you' }]);
      expect(builds.headers.get('x-frame-options')).toBe('DENY');
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
        TSX, '-e',
        `require('./worker/label-command').labelCommand({ outDir: 'artifacts', port: ${port} }).catch((e) => { console.error(e.message); process.exitCode = 1; })`,
      ], { cwd: ROOT, env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress') } });
      await expect(run).rejects.toMatchObject({ stderr: expect.stringContaining(`--port: port ${port} is in use: pick another with --port`) });
    } finally {
      blocker.close();
    }
  });

  it('refuses to listen beyond loopback with nobody on the team', async () => {
    const run = promisify(execFile)(process.execPath, [
      TSX, '-e',
      `require('./worker/label-command').labelCommand({ outDir: ${JSON.stringify(path.join(dir, 'empty'))}, host: '0.0.0.0', port: 0 }).catch((e) => { console.error(e.message); process.exitCode = 1; })`,
    ], { cwd: ROOT, env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress') } });
    await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--host: refusing to listen on 0.0.0.0: beyond loopback everyone must sign in, and no labeler is defined') });
  });

  it('serves HTTPS with --tls-cert and --tls-key', async () => {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const port = await freePort();
    const { child, exited, out } = await startLabel(`{ outDir: ${JSON.stringify(path.join(dir, 'store'))}, port: ${port}, tlsCert: ${JSON.stringify(cert)}, tlsKey: ${JSON.stringify(key)} }`);
    try {
      expect(out()).toContain(`labeling every running build at https://127.0.0.1:${port}/ (Ctrl-C to stop)`);
      const ca = await readFile(cert);
      const html = await new Promise<string>((resolve, reject) => {
        https.get({ host: '127.0.0.1', port, path: '/', ca }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c));
          res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      expect(html).toContain('<title>CIFAR-10.1 labeling</title>');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
