/**
 * The harness every stage CLI runs in: read the pipeline file, validate this stage's params with the package's schema,
 * give the stage a fresh temporary output directory, and on success write `manifest.json` and move the directory to
 * `artifacts/<pipeline>/<stage>`. A failed or interrupted stage leaves the previous output untouched.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import type { z } from 'zod';
import { readDataset, type Dataset } from './arrow';
import { buildDirAtomic, listFiles } from './fsutil';
import { gitCommit } from './git';
import { createLogger, formatDuration, type Logger } from './log';
import { packageVersions, writeManifest, type StageManifest } from './manifest';
import { findWorkspaceRoot, resolveConfigPath, resolveDataDir } from './paths';
import { describeParams, didYouMean, loadPipeline, stageDir, stageParams, stageSlice, type BackendName, type Pipeline, type StageKind } from './pipeline';

export interface StageContext<P> {
  root: string;
  pipeline: Pipeline;
  stage: string;
  params: P;
  /** role → output directory of the upstream stage */
  inputs: Record<string, string>;
  /** where to write; becomes `artifacts/<pipeline>/<stage>` on success */
  outDir: string;
  seed: number;
  backend: BackendName;
  dataDir: string;
  log: Logger;
  /** Resolves a path from the pipeline file (`${DATA_DIR}/…` or relative to the workspace root). */
  path(p: string): string;
  /** The output directory of the upstream stage bound to `role`. */
  input(role: string): string;
  /**
   * An Arrow dataset from the upstream stage bound to `role` (e.g. `ctx.dataset('data', 'train.arrow')`), recorded in
   * the manifest's `reads`. The test split is sealed: only a stage whose definition is `final` (the evaluation) may
   * read it; any other stage gets an error. Read once per stage and shared: treat it as read-only.
   */
  dataset(role: string, file: string): Dataset;
  /** Records a file this stage read outside `dataset` (it appears in the manifest's `reads`). */
  recordRead(file: string): void;
  /**
   * Where a training run of this stage keeps its resume state (outside the output, which only appears on success),
   * keyed to this stage's configuration and inputs: a rerun after a crash or Ctrl-C continues from the last save.
   */
  resume(run: string, every: number): { dir: string; every: number; fingerprint: string; source: string };
}

export interface StageResult {
  summary?: Record<string, unknown>;
  /** the tfjs backend that ran, for stages that train or run tfjs models */
  backend?: string | null;
}

export interface StageDefinition<S extends z.ZodType> {
  kind: StageKind;
  schema: S;
  /** the final evaluation: the only kind of stage that may read the sealed test split */
  final?: boolean;
  run(ctx: StageContext<z.infer<S>>): Promise<StageResult>;
}

export async function runStage<S extends z.ZodType>(def: StageDefinition<S>, pipelineFile: string, stage: string, root = findWorkspaceRoot()): Promise<StageManifest> {
  const pipeline = loadPipeline(path.resolve(root, pipelineFile));
  const stageDef = pipeline.stages[stage];
  if (!stageDef) throw new Error(`${pipelineFile}: no stage '${stage}'${didYouMean(stage, pipeline.order)} (stages: ${pipeline.order.join(', ')})`);
  if (stageDef.uses !== def.kind) throw new Error(`${pipelineFile}: stage '${stage}' uses '${stageDef.uses}', not '${def.kind}'`);
  const params = stageParams(pipeline, stage, def.schema);
  const dataDir = resolveDataDir(root, pipeline.dataDir);
  const log = createLogger(`${pipeline.name}/${stage}`);
  const inputs: Record<string, string> = {};
  for (const [role, up] of Object.entries(stageDef.inputs)) {
    const dir = stageDir(root, pipeline.name, up);
    if (!fs.existsSync(path.join(dir, 'manifest.json'))) throw new Error(`stage '${stage}' reads '${up}' (as ${role}), which has no output in ${dir}: run it first (nx run pipelines:${pipeline.name}.${up})`);
    inputs[role] = dir;
  }
  const target = stageDir(root, pipeline.name, stage);
  const fingerprint = crypto
    .createHash('sha256')
    .update(JSON.stringify(stageSlice(pipeline, stage)))
    .update(Object.values(inputs).map((d) => fs.readFileSync(path.join(d, 'manifest.json'))).join('\n'))
    .digest('hex');
  const started = Date.now();
  const reads = new Set<string>();
  const datasets = new Map<string, Dataset>();
  // the native kernels read the matmul precision when they load (model/native-kernels.ts); DISTILL_MATMUL, set by
  // hand or by Nx, overrides the pipeline's, as DISTILL_BACKEND overrides `backend`
  if (pipeline.matmul !== 'fp32' && !process.env.DISTILL_MATMUL) process.env.DISTILL_MATMUL = pipeline.matmul;
  return buildDirAtomic(target, async (outDir) => {
    const ctx: StageContext<z.infer<S>> = {
      root,
      pipeline,
      stage,
      params,
      inputs,
      outDir,
      seed: pipeline.seed,
      backend: pipeline.backend,
      dataDir,
      log,
      path: (p) => resolveConfigPath(p, root, dataDir),
      input: (role) => {
        const dir = inputs[role];
        if (!dir) throw new Error(`${pipelineFile}: stages.${stage}.inputs: stage '${stage}' needs an input '${role}'`);
        return dir;
      },
      dataset: (role, file) => {
        const full = path.join(ctx.input(role), file);
        if (isSealedTest(file) && !def.final) throw new Error(sealedTestError(pipelineFile, stage, def.kind, full, root));
        reads.add(path.relative(root, full));
        // read once per stage: a stage may ask for a split in more than one place (a check, then the work)
        if (!datasets.has(full)) datasets.set(full, readDataset(full));
        return datasets.get(full)!;
      },
      recordRead: (file) => {
        if (isSealedTest(path.basename(file)) && !def.final) throw new Error(sealedTestError(pipelineFile, stage, def.kind, file, root));
        reads.add(path.relative(root, path.resolve(root, file)));
      },
      resume: (run, every) => ({ dir: path.join(root, 'artifacts', pipeline.name, '.resume', stage, run), every, fingerprint, source: sourceDigest(root, def.kind) }),
    };
    log.info(`start (${def.kind}): ${pipelineProgress(root, pipeline, stage)}`);
    const result = await def.run(ctx);
    const seconds = (Date.now() - started) / 1000;
    log.info(`done in ${seconds.toFixed(1)}s`);
    return writeManifest(outDir, {
      pipeline: pipeline.name,
      stage,
      uses: def.kind,
      inputs: Object.fromEntries(Object.entries(inputs).map(([r, d]) => [r, path.relative(root, d)])),
      params,
      reads: [...reads].sort(),
      seed: pipeline.seed,
      seconds,
      finished_at: new Date().toISOString(),
      git_commit: gitCommit(root),
      backend: result.backend ?? null,
      versions: packageVersions(root),
      summary: result.summary ?? {},
    });
  });
}

/**
 * Where this stage stands in its pipeline: `stage 5/16, 4 others with output; last run this and the later stages took
 * 41m, summed` (from the manifests on disk, which a previous run left; stages that run side by side overlap).
 */
export function pipelineProgress(root: string, pipeline: Pipeline, stage: string): string {
  const index = pipeline.order.indexOf(stage);
  let done = 0;
  let remaining = 0;
  let known = true;
  for (const [i, s] of pipeline.order.entries()) {
    const file = path.join(stageDir(root, pipeline.name, s), 'manifest.json');
    const seconds = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { seconds?: number }).seconds : undefined;
    if (s !== stage && seconds !== undefined) done++;
    if (i >= index) {
      if (seconds === undefined) known = false;
      else remaining += seconds;
    }
  }
  const eta = known ? `; last run this and the later stages took ${formatDuration(remaining)}, summed` : '';
  return `stage ${index + 1}/${pipeline.order.length}, ${done} other${done === 1 ? '' : 's'} with output${eta}`;
}


/** A digest of the code a stage runs (its package, core and model): resume state written by other code is refused. */
function sourceDigest(root: string, kind: StageKind): string {
  const h = crypto.createHash('sha256');
  for (const pkg of [kind, 'core', 'model']) {
    const dir = path.join(root, 'packages', pkg, 'src');
    if (!fs.existsSync(dir)) continue;
    for (const f of listFiles(dir).filter((x) => x.endsWith('.ts') && !x.endsWith('.test.ts'))) h.update(`${pkg}/${f}\0`).update(fs.readFileSync(path.join(dir, f)));
  }
  return h.digest('hex');
}

/** The sealed test split's file names: `test.arrow` and the logits of a model on it. */
export function isSealedTest(file: string): boolean {
  return /^test(\.|$)/.test(path.basename(file));
}

function sealedTestError(pipelineFile: string, stage: string, kind: string, file: string, root: string): string {
  return `${pipelineFile}: stages.${stage}: a '${kind}' stage may not read the sealed test split (${path.relative(root, path.resolve(root, file))}); every choice is made on valid, and only the final evaluation (serve) reads test`;
}

/**
 * A stop asked for by Ctrl-C or SIGTERM, for loops that can save their place first (the training loop checks it after
 * each step, saves resume state and throws `Interrupted`).
 */
export const interruption = { requested: false, signal: '', /** loops running that check `requested` */ active: 0 };

export class Interrupted extends Error {
  constructor(what: string) {
    super(`interrupted by ${interruption.signal || 'a signal'}: ${what}`);
    this.name = 'Interrupted';
  }
}

/** Entry point of a stage package's CLI: `cli.ts --pipeline pipelines/x.yaml --stage name`. */
export function stageMain<S extends z.ZodType>(def: StageDefinition<S>, argv = process.argv): void {
  // Ctrl-C or a kill: a training loop gets to save its resume state at the end of its step (a second signal, or 30 s,
  // does not wait); then exit through process.exit, so the half-built output directory is removed ('exit' handlers run).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      const now = () => {
        fs.writeSync(2, `${def.kind}: interrupted by ${signal}; no output was written\n`); // synchronous: stderr may be a pipe
        process.exit(130);
      };
      if (interruption.requested || interruption.active === 0) now();
      interruption.requested = true;
      interruption.signal = signal;
      setTimeout(now, 30_000).unref();
    });
  }
  const program = new Command()
    .name(`${def.kind}`)
    .description(`Run a '${def.kind}' stage of a pipeline`)
    .requiredOption('-p, --pipeline <file>', 'pipeline YAML file')
    .requiredOption('-s, --stage <name>', 'stage name in that file')
    .addHelpText('after', `\nParameters of a '${def.kind}' stage (its params: in the pipeline file; packages/${def.kind}/src/config.ts says what each means):\n${describeParams(def.schema).map((l) => `  ${l}`).join('\n')}\n`)
    .action(async (opts: { pipeline: string; stage: string }) => {
      try {
        await runStage(def, opts.pipeline, opts.stage);
        if (interruption.requested) process.exit(130); // the signal came after the work: exit as interrupted all the same
      } catch (err) {
        if (err instanceof Interrupted) {
          fs.writeSync(2, `${def.kind}: ${err.message}; no output was written\n`);
          process.exit(130);
        }
        console.error(`error: ${(err as Error).message}`);
        if (process.env.DISTILL_DEBUG) console.error((err as Error).stack);
        process.exitCode = 1;
      }
    });
  program.parseAsync(argv);
}
