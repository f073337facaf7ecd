'use strict';
// Entry of the kNN worker threads. A worker does not inherit every host's
// TypeScript loader (vitest's, for one), so register tsx before loading it.
require('tsx/cjs/api').register();
require('./worker.ts');
