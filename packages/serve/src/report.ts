/**
 * `artifacts/<pipeline>/report.json`: the whole run in one file. Stable fields (other tools read them):
 * pipeline, backend, stages.<stage>.seconds, dataset {rows per split, num_labels}, models[] {name, role, format,
 * accuracy, macro_f1, params, size_bytes, latency_ms.p50, latency_ms.p99}.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { readJson, readManifest, stageDir, type Pipeline, type StageManifest } from '@distill/core';
import type { ModelResult } from './benchmark';
import type { HttpPoint } from './http-bench';

export interface Report {
  pipeline: string;
  description?: string;
  backend: string | null;
  seed: number;
  stages: Record<string, { uses: string; seconds: number; backend: string | null }>;
  dataset: { rows: Record<string, number>; num_labels: number };
  models: ModelResult[];
  /** HTTP load test of the served model, one entry per concurrency */
  http: HttpPoint[];
  /** every distillation step and variant of the pipeline, for the ablation table: test accuracy of task steps */
  distillation: DistillationRow[];
  versions: Record<string, string>;
  /** what it takes to run this again: `npm run reproduce -- <this report.json>` */
  reproduce?: Reproduction;
}

export interface Reproduction {
  git_commit: string | null;
  /** uncommitted changes to tracked files when the report was written */
  git_dirty: boolean | null;
  pipeline_file: string;
  /** the pipeline as it ran: `extends` and YAML anchors resolved, `${DATA_DIR}` kept (set DISTILL_DATA_DIR) */
  resolved: { description?: string; seed: number; backend: string; data_dir?: string; stages: Pipeline['stages'] };
  /** every stage derives its random streams from this seed and its own name */
  seed: number;
  command: string;
}

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** The pipeline file that reruns a report's run as it ran (see reproduce-cli.ts). */
export function reproductionYaml(reportFile: string, r: Reproduction): string {
  const { data_dir, ...rest } = r.resolved;
  return `# Reproduces ${r.pipeline_file} as it ran for ${reportFile} (git ${r.git_commit ?? 'unknown'}).\n${stringify({ ...rest, ...(data_dir ? { data_dir } : {}) })}`;
}

/** The checked-out commit, or null outside a git repository. */
export function gitCommit(root: string): string | null {
  return git(root, ['rev-parse', 'HEAD']);
}

export function reproduction(root: string, pipeline: Pipeline): Reproduction {
  const commit = gitCommit(root);
  const status = commit ? git(root, ['status', '--porcelain', '--untracked-files=no']) : null;
  const file = path.relative(root, pipeline.file);
  return {
    git_commit: commit,
    git_dirty: status === null ? null : status.length > 0,
    pipeline_file: file,
    resolved: { description: pipeline.description, seed: pipeline.seed, backend: pipeline.backend, data_dir: pipeline.dataDir, stages: pipeline.stages },
    seed: pipeline.seed,
    command: `npm run reproduce -- artifacts/${pipeline.name}/report.json`,
  };
}

export interface DistillationRow {
  stage: string;
  description?: string;
  objective: string;
  /** the stage it starts from (init.input), if any */
  from: string | null;
  test_accuracy: number | null;
  test_macro_f1: number | null;
  steps: number | null;
  seconds: number;
}

function distillationRows(pipeline: Pipeline, manifests: Record<string, StageManifest>): DistillationRow[] {
  return pipeline.order
    .filter((s) => pipeline.stages[s].uses === 'distill')
    .map((s) => {
      const def = pipeline.stages[s];
      const summary = manifests[s].summary as { objective?: string; test_accuracy?: number; test_macro_f1?: number; steps?: number };
      const initRole = (def.params.init as { input?: string } | undefined)?.input;
      return {
        stage: s,
        description: def.description,
        objective: summary.objective ?? String(def.params.objective ?? 'task'),
        from: initRole ? def.inputs[initRole] ?? null : null,
        test_accuracy: summary.test_accuracy ?? null,
        test_macro_f1: summary.test_macro_f1 ?? null,
        steps: summary.steps ?? null,
        seconds: manifests[s].seconds,
      };
    });
}

export function buildReport(root: string, pipeline: Pipeline): Report {
  const manifests: Record<string, StageManifest> = {};
  for (const s of pipeline.order) manifests[s] = readManifest(stageDir(root, pipeline.name, s));
  const dataStage = pipeline.order.find((s) => pipeline.stages[s].uses === 'data');
  const serveStage = [...pipeline.order].reverse().find((s) => pipeline.stages[s].uses === 'serve');
  const dataSummary = (dataStage ? manifests[dataStage].summary : {}) as { rows?: Record<string, number>; num_labels?: number };
  const bench = serveStage ? readJson<{ models: ModelResult[]; http?: HttpPoint[] }>(path.join(stageDir(root, pipeline.name, serveStage), 'benchmark.json')) : { models: [], http: [] };
  const models = bench.models;
  // baselines trained beside the teacher (naive Bayes): teacher stages on the same data train the same one, listed
  // once; a different one under the same name gets its stage's name appended
  for (const s of pipeline.order.filter((x) => pipeline.stages[x].uses === 'teacher')) {
    const file = path.join(stageDir(root, pipeline.name, s), 'baseline.json');
    if (!fs.existsSync(file)) continue;
    const { metrics: _detail, ...baseline } = readJson<ModelResult & { metrics?: unknown }>(file);
    const sameName = models.filter((m) => m.name === baseline.name);
    if (sameName.some((m) => m.accuracy === baseline.accuracy && m.macro_f1 === baseline.macro_f1 && m.params === baseline.params)) continue;
    models.push({ ...baseline, name: sameName.length ? `${baseline.name}-${s}` : baseline.name, file: path.relative(root, file) });
  }
  const backends = pipeline.order.map((s) => manifests[s].backend).filter((b): b is string => !!b);
  return {
    pipeline: pipeline.name,
    description: pipeline.description,
    backend: backends[0] ?? null,
    seed: pipeline.seed,
    stages: Object.fromEntries(pipeline.order.map((s) => [s, { uses: manifests[s].uses, seconds: manifests[s].seconds, backend: manifests[s].backend }])),
    dataset: { rows: dataSummary.rows ?? {}, num_labels: dataSummary.num_labels ?? 0 },
    models,
    http: bench.http ?? [],
    distillation: distillationRows(pipeline, manifests),
    versions: manifests[pipeline.order[0]].versions,
    reproduce: reproduction(root, pipeline),
  };
}

