/** Nx plugin (inferred targets): every `pipelines/*.yaml` adds its targets to project `pipelines`. */
import * as path from 'node:path';
import { createNodesFromFiles, type CreateNodesV2 } from 'nx/src/devkit-exports';
import { pipelineTargets } from './targets';

export const createNodesV2: CreateNodesV2 = [
  'pipelines/*.{yaml,yml}',
  (files, options, context) =>
    createNodesFromFiles(
      (file, _opts, ctx) => {
        const { targets } = pipelineTargets(path.join(ctx.workspaceRoot, file));
        return { projects: { pipelines: { targets } } };
      },
      files,
      options,
      context,
    ),
];
