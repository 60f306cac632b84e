/**
 * The serve stage: the final evaluation. Reads: the quantize stages' model directories, the teacher stages' baselines
 * (baselines.ts: naive Bayes, refitted; zero-shot, kNN, cloze and ensembles, scored as their stages scored valid), each
 * model's training data (for the baselines' fits and `accuracy_unseen`) and the test set (input `data`). Writes:
 * `benchmark.json` with one entry per model variant and baseline, the groups and the learning curve (groups.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson, writeJsonAtomic, type StageContext, type StageDefinition } from '@distill/core';
import { baselineFromFile, baselineId, trainingDataOf, type BaselineSpec, type Scoring, type TrainingData } from './baselines';
import { benchmarkModel, type ModelResult } from './benchmark';
import { learningCurve, modelGroups } from './groups';
import { paramsSchema, type ServeParams } from './config';
import { sawNoLabels } from './report';
import { loadTest, serverArgs, startServerProcess, type HttpPoint, type ServerSettings } from './http-bench';

const VARIANTS = [
  { file: 'model.onnx', format: 'onnx-fp32' },
  { file: 'model.int8.onnx', format: 'onnx-int8' },
] as const;

/** The load-tested server's settings from the stage's `http` params (recorded in benchmark.json). */
function serverSettings(h: NonNullable<ServeParams['http']>): ServerSettings {
  return { workers: h.workers, threads: h.threads, spinning: h.spinning, max_batch_size: h.max_batch_size, max_queue_delay_ms: h.max_queue_delay_ms };
}

/**
 * The final evaluation, and the only stage that reads the test split. Every input other than `data` is a quantize
 * stage (its `quantize-report.json`: each model is scored and timed) or a teacher stage (its `baseline.json`: the
 * naive Bayes baseline is fitted on train and scored).
 */
export async function runServe(ctx: StageContext<ServeParams>) {
  const p = ctx.params;
  const test = ctx.dataset('data', 'test.arrow');
  const trainingData = new Map<string, TrainingData>();
  // test sentences that also occur in the training data (with remove_test_overlap: unlabeled or false)
  const testRowsInTrain = trainingDataOf(ctx, ctx.input('data'), test, trainingData).inTrain.filter(Boolean).length;
  const models: ModelResult[] = [];
  const baselineSpecs = new Set<string>();
  const scoring: Scoring = { dataOf: (dir) => trainingDataOf(ctx, dir, test, trainingData), scored: new Map() };
  for (const [inputRole, modelsDir] of Object.entries(ctx.inputs)) {
    if (inputRole === 'data') continue;
    const baselineFile = path.join(modelsDir, 'baseline.json');
    if (fs.existsSync(baselineFile)) {
      // the same baseline described by two teacher stages (what it fits and scores with, on the same training rows) is scored once
      const key = baselineId(readJson<BaselineSpec>(baselineFile), scoring.dataOf(modelsDir).dir);
      if (baselineSpecs.has(key)) continue;
      baselineSpecs.add(key);
      const r = await baselineFromFile(ctx, baselineFile, scoring, test.rows, test.labels);
      const name = models.some((m) => m.name === r.name) ? `${r.name}-${inputRole}` : r.name;
      if (r.format !== 'naive-bayes') ctx.log.info(`${name}: accuracy ${(100 * r.accuracy).toFixed(2)} [${r.ci95!.map((x) => (100 * x).toFixed(2)).join(', ')}]${sawNoLabels(r.format) ? ' with no labels' : ''} (chance ${(100 / test.labels.length).toFixed(2)})`);
      models.push({ ...r, file: path.relative(ctx.root, baselineFile), name });
      continue;
    }
    const reportFile = path.join(modelsDir, 'quantize-report.json');
    if (!fs.existsSync(reportFile)) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.inputs.${inputRole}: ${modelsDir} has neither quantize-report.json (a quantize stage) nor baseline.json (a teacher stage)`);
    const qreport = readJson<Record<string, { params: number; stage?: string; params_by_part?: Record<string, number> }>>(reportFile);
    for (const role of Object.keys(qreport)) {
      for (const v of VARIANTS) {
        const file = path.join(modelsDir, role, v.file);
        if (!fs.existsSync(file)) continue;
        const data = trainingDataOf(ctx, modelsDir, test, trainingData);
        const r = await benchmarkModel(file, test.rows, { latencySamples: p.latency_samples, warmup: p.warmup, threads: p.threads, inTrain: data.inTrain });
        const own = `${role}-${v.format.replace('onnx-', '')}`;
        // a second input with a model of the same name (e.g. the same method trained on another split)
        const name = models.some((m) => m.name === own) ? `${own}-${inputRole}` : own;
        const parts = r.components?.table ? `; table alone ${(100 * r.components.table.accuracy).toFixed(2)}, encoder alone ${(100 * r.components.encoder!.accuracy).toFixed(2)}` : '';
        const f1 = r.micro_f1 !== undefined ? `micro-F1 ${(100 * r.micro_f1).toFixed(2)}, macro-F1 ${(100 * r.macro_f1).toFixed(2)}, subset ` : '';
        ctx.log.info(`${name}: ${f1}accuracy ${(100 * r.accuracy).toFixed(2)} [${r.ci95!.map((x) => (100 * x).toFixed(2)).join(', ')}] (${(100 * r.accuracy_unseen!).toFixed(2)} on the ${data.inTrain.filter((x) => !x).length} test rows not in train)${parts}, p50 ${r.latency_ms.p50.toFixed(2)} ms, p99 ${r.latency_ms.p99.toFixed(2)} ms, ${r.size_bytes} bytes`);
        const q = qreport[role];
        models.push({ ...r, file: path.relative(ctx.root, file), name, role: role === 'teacher' || role.startsWith('teacher_') ? 'teacher' : 'student', format: v.format, params: q.params, ...(q.params_by_part ? { params_by_part: q.params_by_part } : {}), ...(q.stage ? { stage: q.stage } : {}) });
      }
    }
  }
  const groups = modelGroups(p.groups, models, `${ctx.pipeline.file}: stages.${ctx.stage}.params.groups`);
  for (const g of groups) ctx.log.info(`${g.name}: accuracy ${(100 * g.mean).toFixed(2)} ± ${(100 * g.std).toFixed(2)} over ${g.models.length} models (${g.accuracies.map((a) => (100 * a).toFixed(2)).join(', ')})`);
  const curve = p.learning_curve ? learningCurve(p.learning_curve, models, `${ctx.pipeline.file}: stages.${ctx.stage}.params.learning_curve`) : null;
  for (const method of Object.keys(p.learning_curve?.methods ?? {})) {
    ctx.log.info(`learning curve, ${method}: ${curve!.points.filter((c) => c.method === method).map((c) => `${c.x}: ${(100 * c.accuracy).toFixed(2)}`).join(', ')}`);
  }
  const http: HttpPoint[] = [];
  if (p.http) {
    const target = models.find((m) => m.name === p.http!.model);
    if (!target) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.params.http.model: no model '${p.http.model}' (models: ${models.map((m) => m.name).join(', ')})`);
    const server = await startServerProcess(path.join(ctx.root, target.file), serverArgs(serverSettings(p.http)));
    const texts = test.rows.map((r) => r.text);
    try {
      for (const c of p.http.concurrency) {
        const point = await loadTest(server.url, texts, c, p.http.requests, p.http.max_seconds, target.name);
        ctx.log.info(`HTTP ${target.name} concurrency ${c}: ${point.qps.toFixed(0)} req/s, p50 ${point.p50_ms} ms, p99 ${point.p99_ms} ms, ${point.errors} errors`);
        http.push(point);
      }
    } finally {
      await server.stop();
    }
  }
  writeJsonAtomic(path.join(ctx.outDir, 'benchmark.json'), { threads: p.threads, test_rows: test.rows.length, test_rows_in_train: testRowsInTrain, models, ...(groups.length ? { groups } : {}), ...(curve ? { learning_curve: curve } : {}), http, http_server: p.http ? serverSettings(p.http) : null });
  return { summary: { models: models.map((m) => ({ name: m.name, accuracy: m.accuracy, p50_ms: m.latency_ms.p50 })), ...(groups.length ? { groups } : {}), http } };
}

export const serveStage: StageDefinition<typeof paramsSchema> = { kind: 'serve', schema: paramsSchema, run: runServe, final: true };
