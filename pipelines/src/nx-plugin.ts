/**
 * Nx plugin (inferred targets): every `pipelines/<name>.yaml` becomes project <name> (its stages and report) and aliases
 * on project `pipelines` (see targets.ts).
 */
import * as path from 'node:path';
import { createNodesFromFiles, type CreateNodesV2 } from 'nx/src/devkit-exports';
import { PipelineError } from '@distill/core';
import { invalidPipelineTargets, pipelineProject, pipelineTargets } from './targets';

export const createNodesV2: CreateNodesV2 = [
  'pipelines/*.{yaml,yml}',
  (files, options, context) =>
    createNodesFromFiles(
      (file, _opts, ctx) => {
        const full = path.join(ctx.workspaceRoot, file);
        try {
          const { pipeline, targets, aliases } = pipelineTargets(full);
          const project = pipelineProject(pipeline.name);
          return { projects: { pipelines: { targets: aliases }, [project.root]: { name: project.name, root: project.root, targets } } };
        } catch (err) {
          // a file that does not load fails only its own targets (which print why), not the whole project graph
          if (!(err instanceof PipelineError)) throw err;
          const { name, targets, aliases } = invalidPipelineTargets(full);
          const project = pipelineProject(name);
          return { projects: { pipelines: { targets: aliases }, [project.root]: { name: project.name, root: project.root, targets } } };
        }
      },
      files,
      options,
      context,
    ),
];
