/**
 * Nx projects and targets for one pipeline file `pipelines/<name>.yaml`:
 *   project <name> (root pipelines/<name>, a folder that need not exist), one target per stage and `report` (every
 *     stage, then artifacts/<name>/report.json and report.html);
 *   project `pipelines`, aliases: `pipelines:<name>` (the report) and `pipelines:<name>.<stage>` (one stage, after its
 *     upstream stages).
 * Why a project per pipeline: Nx hashes a task's whole project configuration (every target of the project) into the
 * task's hash, so with all pipelines in one project, adding or reshaping any pipeline file reran every pipeline.
 * Each stage target is cached; its inputs are exactly what determines its output: the stage's own slice of the YAML
 * and the files its params point to (a runtime input), the sources of the packages it runs, the lockfile, and the
 * outputs of its upstream stages.
 * A pipeline that `extends` another inherits the stages it leaves as they are (see `inheritedStages`): their targets
 * run the base pipeline's stage (from the Nx cache when it is there) and link the output into this pipeline's folder.
 */
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { TargetConfiguration } from 'nx/src/devkit-exports';
import { loadPipeline, runsAfter, stageSlice, type Pipeline } from '@distill/core';
import { PARAMS_SCHEMAS, STAGE_PACKAGES } from './stages';

/** The alias of a stage on project `pipelines`. */
export const stageTarget = (pipeline: string, stage: string) => `${pipeline}.${stage}`;

/** The project of a pipeline: its name, and a root of its own (Nx keys projects by root). */
export const pipelineProject = (pipeline: string) => ({ name: pipeline, root: `pipelines/${pipeline}` });

export interface PipelineTargets {
  pipeline: Pipeline;
  /** the pipeline's own project: a target per stage, and `report` */
  targets: Record<string, TargetConfiguration>;
  /** targets of project `pipelines` that run the above */
  aliases: Record<string, TargetConfiguration>;
}

function sourceInputs(folders: string[]): string[] {
  // native/*.c: the model package's native kernels (compiled at install) change results within float tolerance
  return folders.flatMap((f) => [`{workspaceRoot}/${f}/src/**/*`, `!{workspaceRoot}/${f}/src/**/*.test.ts`, `{workspaceRoot}/${f}/native/*.c`, `{workspaceRoot}/${f}/package.json`]);
}

/** The pipeline `pipeline` extends, when that is another file in the same folder (one with targets of its own). */
export function basePipelineFile(pipeline: Pipeline): string | null {
  const base = pipeline.base;
  return base && path.dirname(base) === path.dirname(path.resolve(pipeline.file)) ? base : null;
}

/**
 * The stages `pipeline` shares with its base: the same definition (uses, inputs, params, seed, backend, data dir) as
 * the base's stage of that name, and every upstream stage shared too. Their outputs would be the same, so they are not
 * run twice: an experiment reruns only what its changes reach.
 */
export function inheritedStages(pipeline: Pipeline, base: Pipeline): Set<string> {
  const shared = new Set<string>();
  if (pipeline.dataDir !== base.dataDir) return shared;
  for (const stage of pipeline.order) {
    const same = base.stages[stage] !== undefined && isDeepStrictEqual(stageSlice(pipeline, stage), stageSlice(base, stage));
    if (same && Object.values(pipeline.stages[stage].inputs).every((up) => shared.has(up))) shared.add(stage);
  }
  return shared;
}

/** A target that only runs another project's target. */
function alias(project: string, target: string, description: string): TargetConfiguration {
  return { executor: 'nx:noop', cache: false, dependsOn: [{ projects: [project], target }], metadata: { description } };
}

/**
 * The project of a pipeline file that does not load: its report target (and alias) only prints every problem of the
 * file and fails, so one broken file leaves every other pipeline runnable.
 */
export function invalidPipelineTargets(file: string): { name: string; targets: Record<string, TargetConfiguration>; aliases: Record<string, TargetConfiguration> } {
  const stem = path.basename(file).replace(/\.ya?ml$/, '');
  // a file name that is itself the problem (`...yaml`) must not become a project root outside pipelines/
  const name = /^[a-z][a-z0-9_-]*$/.test(stem) ? stem : `invalid-${stem.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  const rel = `pipelines/${path.basename(file)}`;
  const targets: Record<string, TargetConfiguration> = {
    report: {
      executor: 'nx:run-commands',
      options: { command: `node pipelines/check-pipeline.js ${rel}`, cwd: '{workspaceRoot}' },
      cache: false,
      inputs: [`{workspaceRoot}/${rel}`], // not the default {projectRoot}/**: the root is no folder
      metadata: { description: `${rel} does not load: this target prints why` },
    },
  };
  return { name, targets, aliases: { [name]: alias(name, 'report', `${rel} does not load: prints why`) } };
}

export function pipelineTargets(file: string): PipelineTargets {
  const pipeline = loadPipeline(file, PARAMS_SCHEMAS);
  if (pipeline.name === 'pipelines') throw new Error(`${file}: a pipeline cannot be named 'pipelines' (the Nx project of the aliases); rename the file`);
  const rel = `pipelines/${pipeline.name}.yaml`;
  const baseFile = basePipelineFile(pipeline);
  const base = baseFile ? loadPipeline(baseFile, PARAMS_SCHEMAS) : null;
  const inherited = base ? inheritedStages(pipeline, base) : new Set<string>();
  const targets: Record<string, TargetConfiguration> = {};
  for (const stage of pipeline.order) {
    const def = pipeline.stages[stage];
    if (base && inherited.has(stage)) {
      // nothing to hash or cache here: the base's target is cached, and stages downstream hash its outputs (transitive)
      targets[stage] = {
        executor: 'nx:run-commands',
        options: { command: `node pipelines/link-stage.js ${base.name} ${pipeline.name} ${stage}`, cwd: '{workspaceRoot}' },
        cache: false,
        inputs: ['{workspaceRoot}/pipelines/link-stage.js', '{workspaceRoot}/pipelines/src/link-stage.ts'], // not the default {projectRoot}/**: the root is no folder
        dependsOn: [{ projects: [base.name], target: stage }],
        metadata: { description: `inherited from ${base.name}: artifacts/${pipeline.name}/${stage} links to artifacts/${base.name}/${stage}` },
      };
      continue;
    }
    const pkg = STAGE_PACKAGES[def.uses];
    targets[stage] = {
      executor: 'nx:run-commands',
      options: { command: `tsx ${pkg.cli} --pipeline ${rel} --stage ${stage}`, cwd: '{workspaceRoot}' },
      cache: true,
      dependsOn: runsAfter(def),
      inputs: [
        { runtime: `node pipelines/stage-inputs.js ${rel} ${stage}` },
        ...sourceInputs(pkg.sources),
        '{workspaceRoot}/package-lock.json',
        // the matmul precision changes what training computes (native-kernels.ts); the thread count does not
        { env: 'DISTILL_MATMUL' },
        // upstream outputs, but not their manifests: a manifest's timing changes with every rerun, its outputs need not
        { dependentTasksOutputFiles: '**/!(manifest.json)', transitive: true },
      ],
      outputs: [`{workspaceRoot}/artifacts/${pipeline.name}/${stage}`],
      metadata: { description: def.description ?? `${def.uses} stage '${stage}' of pipeline ${pipeline.name}` },
    };
  }
  targets.report = {
    executor: 'nx:run-commands',
    options: { command: `tsx packages/serve/src/report-cli.ts --pipeline ${rel}`, cwd: '{workspaceRoot}' },
    cache: true,
    dependsOn: [...pipeline.order],
    // the YAML files themselves: the report records the resolved pipeline (the base's keys included)
    inputs: [`{workspaceRoot}/${rel}`, ...(baseFile ? [`{workspaceRoot}/pipelines/${path.basename(baseFile)}`] : []), ...sourceInputs(['packages/serve', 'packages/core']), { dependentTasksOutputFiles: '**/*', transitive: true }],
    outputs: [`{workspaceRoot}/artifacts/${pipeline.name}/report.json`, `{workspaceRoot}/artifacts/${pipeline.name}/report.html`],
    metadata: { description: pipeline.description ?? `pipeline ${pipeline.name}: every stage, then the report` },
  };
  const aliases: Record<string, TargetConfiguration> = {
    [pipeline.name]: alias(pipeline.name, 'report', `${pipeline.name}:report (${pipeline.description ?? 'every stage, then the report'})`),
  };
  for (const stage of pipeline.order) aliases[stageTarget(pipeline.name, stage)] = alias(pipeline.name, stage, `${pipeline.name}:${stage}`);
  return { pipeline, targets, aliases };
}
