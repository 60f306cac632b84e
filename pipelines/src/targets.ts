/**
 * Nx targets for one pipeline file, on project `pipelines`:
 *   <pipeline>          runs every stage, then writes artifacts/<pipeline>/report.json (and report.html)
 *   <pipeline>.<stage>  runs one stage after its upstream stages
 * Each stage target is cached; its inputs are exactly what determines its output: the stage's own slice of the YAML
 * and the files its params point to (a runtime input), the sources of the packages it runs, the lockfile, and the
 * outputs of its upstream stages.
 */
import type { TargetConfiguration } from 'nx/src/devkit-exports';
import { loadPipeline, runsAfter, type Pipeline } from '@distill/core';
import { PARAMS_SCHEMAS, STAGE_PACKAGES } from './stages';

export const stageTarget = (pipeline: string, stage: string) => `${pipeline}.${stage}`;

function sourceInputs(folders: string[]): string[] {
  // native/*.c: the model package's native kernels (compiled at install) change results within float tolerance
  return folders.flatMap((f) => [`{workspaceRoot}/${f}/src/**/*`, `!{workspaceRoot}/${f}/src/**/*.test.ts`, `{workspaceRoot}/${f}/native/*.c`, `{workspaceRoot}/${f}/package.json`]);
}

export function pipelineTargets(file: string): { pipeline: Pipeline; targets: Record<string, TargetConfiguration> } {
  const pipeline = loadPipeline(file, PARAMS_SCHEMAS);
  const rel = `pipelines/${pipeline.name}.yaml`;
  const targets: Record<string, TargetConfiguration> = {};
  for (const stage of pipeline.order) {
    const def = pipeline.stages[stage];
    const pkg = STAGE_PACKAGES[def.uses];
    targets[stageTarget(pipeline.name, stage)] = {
      executor: 'nx:run-commands',
      options: { command: `tsx ${pkg.cli} --pipeline ${rel} --stage ${stage}`, cwd: '{workspaceRoot}' },
      cache: true,
      dependsOn: runsAfter(def).map((up) => stageTarget(pipeline.name, up)),
      inputs: [
        { runtime: `node pipelines/stage-inputs.js ${rel} ${stage}` },
        ...sourceInputs(pkg.sources),
        '{workspaceRoot}/package-lock.json',
        { dependentTasksOutputFiles: '**/*', transitive: true },
      ],
      outputs: [`{workspaceRoot}/artifacts/${pipeline.name}/${stage}`],
      metadata: { description: def.description ?? `${def.uses} stage '${stage}' of pipeline ${pipeline.name}` },
    };
  }
  targets[pipeline.name] = {
    executor: 'nx:run-commands',
    options: { command: `tsx packages/serve/src/report-cli.ts --pipeline ${rel}`, cwd: '{workspaceRoot}' },
    cache: true,
    dependsOn: pipeline.order.map((s) => stageTarget(pipeline.name, s)),
    inputs: [`{workspaceRoot}/${rel}`, ...sourceInputs(['packages/serve', 'packages/core']), { dependentTasksOutputFiles: '**/*', transitive: true }],
    outputs: [`{workspaceRoot}/artifacts/${pipeline.name}/report.json`, `{workspaceRoot}/artifacts/${pipeline.name}/report.html`],
    metadata: { description: pipeline.description ?? `pipeline ${pipeline.name}: every stage, then the report` },
  };
  return { pipeline, targets };
}
