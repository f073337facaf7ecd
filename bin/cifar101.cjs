#!/usr/bin/env node
// The `cifar101` command: runs the TypeScript CLI under tsx's loader (`node --import tsx`).
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

// tsx's loader by absolute URL: `--import tsx` would resolve from the caller's folder.
const loader = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;

const child = spawn(process.execPath, ['--import', loader, path.join(__dirname, '..', 'worker', 'cli.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: process.cwd(),
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
