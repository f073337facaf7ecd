'use strict';
// Entry of the duplicate-search benchmark's worker threads: register tsx, load the TypeScript.
require('tsx/cjs/api').register();
require('./dup-worker.ts');
