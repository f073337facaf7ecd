#!/usr/bin/env node
// The `cifar101` command: runs the TypeScript CLI through tsx.
require('tsx/cjs');
require('../worker/cli.ts');
