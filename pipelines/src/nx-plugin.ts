/**
 * Nx plugin (inferred targets): every `pipelines/<name>.yaml` becomes project <name> (its stages and report) and aliases
 * on project `pipelines` (see targets.ts).
 */
import * as path from 'node:path';
import { createNodesFromFiles, type CreateNodesV2 } from 'nx/src/devkit-exports';
import { pipelineProject, pipelineTargets } from './targets';

export const createNodesV2: CreateNodesV2 = [
  'pipelines/*.{yaml,yml}',
  (files, options, context) =>
    createNodesFromFiles(
      (file, _opts, ctx) => {
        const { pipeline, targets, aliases } = pipelineTargets(path.join(ctx.workspaceRoot, file));
        const project = pipelineProject(pipeline.name);
        return { projects: { pipelines: { targets: aliases }, [project.root]: { name: project.name, root: project.root, targets } } };
      },
      files,
      options,
      context,
    ),
];
