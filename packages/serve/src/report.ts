/**
 * `artifacts/<pipeline>/report.json`: the whole run in one file. Stable fields (other tools read them):
 * pipeline, backend, stages.<stage>.seconds, dataset {rows per split, num_labels}, models[] {name, role, format,
 * accuracy, ci95, accuracy_unseen, components, macro_f1, params, size_bytes, latency_ms.p50, latency_ms.p99}. Every test
 * score in it comes from the final evaluation (the serve stage's benchmark.json), the only reader of the test split.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { git, gitCommit, readJson, readManifest, stageDir, type Pipeline, type StageManifest } from '@distill/core';
import type { ModelResult } from './benchmark';
import type { HttpPoint } from './http-bench';

/** Whether a model of this format saw no labels at all (label-name zero-shot, cloze): its accuracy is read against chance. */
export function sawNoLabels(format: string): boolean {
  return format === 'zero-shot' || format === 'cloze';
}

export interface Report {
  pipeline: string;
  description?: string;
  backend: string | null;
  seed: number;
  stages: Record<string, { uses: string; seconds: number; backend: string | null; finished_at?: string; git_commit?: string | null }>;
  /** when the stages' outputs come from different runs: which stage is from which commit, and which stage finished
   * before a stage it reads (its output is older than its input) */
  mixed_runs?: { commits: Record<string, string[]>; older_than_input: string[] };
  dataset: { rows: Record<string, number>; num_labels: number };
  models: ModelResult[];
  /** HTTP load test of the served model, one entry per concurrency */
  http: HttpPoint[];
  /** every distillation step and variant of the pipeline, for the ablation table: test accuracy of task steps (from
   * the final evaluation), valid accuracy, and each loss term at the end of training */
  distillation: DistillationRow[];
  /** every prune stage: the accuracy-vs-sparsity curve on valid (structured FFN width, unstructured magnitude) */
  pruning?: PruningRow[];
  /** models scored together (the serve stage's `groups`, e.g. one method on each of five splits): mean ± std of test accuracy */
  groups?: ModelGroup[];
  /** the serve stage's `learning_curve`: each method's test accuracy against the labeled data it was trained on */
  learning_curve?: LearningCurve;
  /** every INT8 model whose n-gram table was compressed: rows and width kept, and the candidates scored on valid */
  table_compression?: TableCompressionRow[];
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


/** The pipeline file that reruns a report's run as it ran (see reproduce-cli.ts). */
export function reproductionYaml(reportFile: string, r: Reproduction): string {
  const { data_dir, ...rest } = r.resolved;
  return `# Reproduces ${r.pipeline_file} as it ran for ${reportFile} (git ${r.git_commit ?? 'unknown'}).\n${stringify({ ...rest, ...(data_dir ? { data_dir } : {}) })}`;
}

export { gitCommit };

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
  /** whether the student has a wide n-gram table (then it is no pure transformer) */
  table: boolean;
  /** the best valid accuracy of its training run (what chose its step) */
  valid_accuracy: number | null;
  /** from the final evaluation (serve), when a quantize stage exported this stage's model */
  test_accuracy: number | null;
  test_ci95: [number, number] | null;
  test_accuracy_unseen: number | null;
  test_macro_f1: number | null;
  steps: number | null;
  seconds: number;
  /** the mean of each loss term over the run's last 10% of steps (hard, soft, latent) */
  final_loss_terms: Record<string, number> | null;
  /** the α × T (× lr) search on valid before training, every trial of every rung, when the stage ran one */
  search?: SearchTrial[];
}

export interface PruningRow {
  stage: string;
  /** the stage whose model was pruned */
  model: string;
  base_valid_accuracy: number;
  structured: { layers: number; keep: number; intermediate_size: number; encoder_params: number; valid_accuracy: number }[];
  unstructured: { sparsity: number; valid_accuracy: number; onnx_bytes: number; onnx_gzip_bytes: number; p50_ms: number }[];
  /** gradual pruning while fine-tuning, when the stage ran it */
  fine_pruned?: { method: 'magnitude' | 'movement'; sparsity: number; valid_accuracy: number; steps: number }[];
  chosen: { layers?: number; keep: number; intermediate_size: number };
}

export interface ModelGroup {
  name: string;
  models: string[];
  accuracies: number[];
  mean: number;
  /** standard deviation over the models (of the population, as numpy.std) */
  std: number;
}

export interface LearningCurve {
  x_title: string;
  points: { method: string; x: number; model: string; accuracy: number; ci95?: [number, number] }[];
}

/** An INT8 model's compressed n-gram table (quantize stage, `int8.table`): what was kept and every candidate tried on valid. */
export interface TableCompressionRow {
  stage: string;
  role: string;
  kept_rows: number;
  bits: number;
  buckets: number;
  bytes: number;
  /** the float32 table's valid accuracy and the candidates, when the row count or width was chosen on valid */
  full_valid_accuracy?: number;
  candidates?: { kept: number; bits: number; bytes: number; valid_accuracy: number }[];
}

function tableCompressionRows(pipeline: Pipeline, manifests: Record<string, StageManifest>): TableCompressionRow[] {
  type Entry = { int8?: { table?: { kept_rows: number; bits: number; buckets: number; bytes: number; choice: { full_valid_accuracy: number; candidates: TableCompressionRow['candidates'] } | null } } };
  return pipeline.order
    .filter((s) => pipeline.stages[s].uses === 'quantize')
    .flatMap((s) =>
      Object.entries((manifests[s].summary ?? {}) as Record<string, Entry>).flatMap(([role, e]) => {
        const t = e?.int8?.table;
        if (!t) return [];
        return [{ stage: s, role, kept_rows: t.kept_rows, bits: t.bits, buckets: t.buckets, bytes: t.bytes, ...(t.choice ? { full_valid_accuracy: t.choice.full_valid_accuracy, candidates: t.choice.candidates } : {}) }];
      }),
    );
}

function pruningRows(pipeline: Pipeline, manifests: Record<string, StageManifest>): PruningRow[] {
  return pipeline.order
    .filter((s) => pipeline.stages[s].uses === 'prune')
    .map((s) => ({ stage: s, model: pipeline.stages[s].inputs.model, ...(manifests[s].summary as Omit<PruningRow, 'stage' | 'model'>) }));
}

export interface SearchTrial {
  alpha: number;
  temperature: number;
  lr: number;
  rung: number;
  steps: number;
  valid_accuracy?: number;
  valid_macro_f1?: number;
}

/** The mean of each named loss term over the last tenth of a training curve (curves.json). */
function finalLossTerms(dir: string): Record<string, number> | null {
  const file = path.join(dir, 'curves.json');
  if (!fs.existsSync(file)) return null;
  const curve = readJson<{ curve?: { terms?: Record<string, number> }[] }>(file).curve ?? [];
  const tail = curve.slice(Math.floor(curve.length * 0.9)).filter((c) => c.terms);
  if (!tail.length) return null;
  const sums: Record<string, number> = {};
  for (const c of tail) for (const [k, v] of Object.entries(c.terms!)) sums[k] = (sums[k] ?? 0) + v / tail.length;
  return sums;
}

function distillationRows(root: string, pipeline: Pipeline, manifests: Record<string, StageManifest>, models: readonly ModelResult[]): DistillationRow[] {
  return pipeline.order
    .filter((s) => pipeline.stages[s].uses === 'distill')
    .map((s) => {
      const def = pipeline.stages[s];
      const summary = manifests[s].summary as { objective?: string; valid_accuracy?: number; steps?: number; params_table?: number; search?: SearchTrial[] };
      const initRole = (def.params.init as { input?: string } | undefined)?.input;
      // its FP32 export's score in the final evaluation
      const model = models.find((m) => m.stage === s && m.format === 'onnx-fp32');
      return {
        stage: s,
        description: def.description,
        objective: summary.objective ?? String(def.params.objective ?? 'task'),
        from: initRole ? def.inputs[initRole] ?? null : null,
        table: (summary.params_table ?? 0) > 0,
        valid_accuracy: summary.valid_accuracy ?? null,
        test_accuracy: model?.accuracy ?? null,
        test_ci95: model?.ci95 ?? null,
        test_accuracy_unseen: model?.accuracy_unseen ?? null,
        test_macro_f1: model?.macro_f1 ?? null,
        steps: summary.steps ?? null,
        seconds: manifests[s].seconds,
        final_loss_terms: finalLossTerms(stageDir(root, pipeline.name, s)),
        ...(summary.search?.length ? { search: summary.search } : {}),
      };
    });
}

/** Whether the stages' outputs come from different runs (an interrupted run leaves a mix), and how. */
function mixedRuns(pipeline: Pipeline, manifests: Record<string, StageManifest>): Pick<Report, 'mixed_runs'> {
  const commits: Record<string, string[]> = {};
  for (const s of pipeline.order) (commits[manifests[s].git_commit ?? 'unknown'] ??= []).push(s);
  const older = pipeline.order.filter((s) => {
    const at = manifests[s].finished_at;
    return !!at && Object.values(pipeline.stages[s].inputs).some((up) => (manifests[up].finished_at ?? '') > at);
  });
  return Object.keys(commits).length > 1 || older.length ? { mixed_runs: { commits, older_than_input: older } } : {};
}

export function buildReport(root: string, pipeline: Pipeline): Report {
  const manifests: Record<string, StageManifest> = {};
  for (const s of pipeline.order) manifests[s] = readManifest(stageDir(root, pipeline.name, s));
  const dataStage = pipeline.order.find((s) => pipeline.stages[s].uses === 'data');
  const serveStage = [...pipeline.order].reverse().find((s) => pipeline.stages[s].uses === 'serve');
  const dataSummary = (dataStage ? manifests[dataStage].summary : {}) as { rows?: Record<string, number>; num_labels?: number };
  const bench = serveStage ? readJson<{ models: ModelResult[]; groups?: ModelGroup[]; learning_curve?: LearningCurve; http?: HttpPoint[] }>(path.join(stageDir(root, pipeline.name, serveStage), 'benchmark.json')) : { models: [], http: [] };
  const models = bench.models;
  const backends = pipeline.order.map((s) => manifests[s].backend).filter((b): b is string => !!b);
  const tableCompression = tableCompressionRows(pipeline, manifests);
  return {
    pipeline: pipeline.name,
    description: pipeline.description,
    backend: backends[0] ?? null,
    seed: pipeline.seed,
    stages: Object.fromEntries(pipeline.order.map((s) => [s, { uses: manifests[s].uses, seconds: manifests[s].seconds, backend: manifests[s].backend, finished_at: manifests[s].finished_at, git_commit: manifests[s].git_commit }])),
    ...mixedRuns(pipeline, manifests),
    dataset: { rows: dataSummary.rows ?? {}, num_labels: dataSummary.num_labels ?? 0 },
    models,
    ...(bench.groups?.length ? { groups: bench.groups } : {}),
    ...(bench.learning_curve ? { learning_curve: bench.learning_curve } : {}),
    http: bench.http ?? [],
    distillation: distillationRows(root, pipeline, manifests, models),
    ...(pipeline.order.some((s) => pipeline.stages[s].uses === 'prune') ? { pruning: pruningRows(pipeline, manifests) } : {}),
    ...(tableCompression.length ? { table_compression: tableCompression } : {}),
    versions: manifests[pipeline.order[0]].versions,
    reproduce: reproduction(root, pipeline),
  };
}

