// Command of an inherited stage's target (see src/link-stage.ts); plain JS so Nx can run it with node.
require('tsx/cjs/api').register();
const { linkStage } = require('./src/link-stage.ts');
const { findWorkspaceRoot } = require('@distill/core');
const [base, pipeline, stage] = process.argv.slice(2);
linkStage(findWorkspaceRoot(), base, pipeline, stage);
