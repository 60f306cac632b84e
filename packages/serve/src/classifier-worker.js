// Entry of a classifier worker thread (worker-classifier.ts): plain JavaScript, so that it can register tsx's
// TypeScript loader before it loads the worker's code.
require('tsx/cjs/api').register();
require('./classifier-worker.ts');
