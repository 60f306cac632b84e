// Runtime input of each stage target (see src/stage-inputs.ts); plain JS so Nx can run it with node.
require('tsx/cjs/api').register();
const { stageInputs } = require('./src/stage-inputs.ts');
const [file, stage] = process.argv.slice(2);
process.stdout.write(JSON.stringify(stageInputs(file, stage)) + '\n');
