// Validates a pipeline file and prints every problem (file:line, key path, message); exit 1 when it does not load.
// The target of a pipeline file that does not load runs this (see src/targets.ts).
require('tsx/cjs/api').register();
const { loadPipeline } = require('@distill/core');
const { PARAMS_SCHEMAS } = require('./src/stages.ts');
const [file] = process.argv.slice(2);
try {
  const p = loadPipeline(file, PARAMS_SCHEMAS);
  console.log(`${file}: valid (${p.order.length} stages: ${p.order.join(', ')})`);
} catch (err) {
  console.error(`error: ${err.message}`);
  process.exit(1);
}
