// Worker-thread entry (plain JS so it starts under node, tsx or jest alike): loads the TypeScript sources through tsx
// and generates the candidates of one chunk of rows.
require('tsx/cjs/api').register();
const { parentPort, workerData } = require('node:worker_threads');
const { candidatesFor } = require('./candidates.ts');

const { segmented, start, strategies, ctx, multiplier, seed } = workerData;
parentPort.postMessage(candidatesFor(segmented, start, strategies, ctx, multiplier, seed));
