/**
 * The serve stage (benchmark). Reads: the quantize stage's model directories (input `models`) and the test set (input
 * `data`). Writes: `benchmark.json` with one entry per model variant.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readDataset, readJson, writeJsonAtomic, type StageContext, type StageDefinition } from '@distill/core';
import { benchmarkModel, type ModelResult } from './benchmark';
import { paramsSchema, type ServeParams } from './config';
import { loadTest, serverArgs, startServerProcess, type HttpPoint, type ServerSettings } from './http-bench';

const VARIANTS = [
  { file: 'model.onnx', format: 'onnx-fp32' },
  { file: 'model.int8.onnx', format: 'onnx-int8' },
] as const;

/** The load-tested server's settings from the stage's `http` params (recorded in benchmark.json). */
function serverSettings(h: NonNullable<ServeParams['http']>): ServerSettings {
  return { workers: h.workers, threads: h.threads, spinning: h.spinning, max_batch_size: h.max_batch_size, max_queue_delay_ms: h.max_queue_delay_ms };
}

export async function runServe(ctx: StageContext<ServeParams>) {
  const p = ctx.params;
  const test = readDataset(path.join(ctx.input('data'), 'test.arrow'));
  // test sentences that also occur in the training data (with remove_test_overlap: unlabeled or false)
  const trainTexts = new Set(readDataset(path.join(ctx.input('data'), 'train.arrow')).rows.map((r) => r.text));
  const inTrain = test.rows.map((r) => trainTexts.has(r.text));
  const testRowsInTrain = inTrain.filter(Boolean).length;
  const modelsDir = ctx.input('models');
  const qreport = readJson<Record<string, { params: number }>>(path.join(modelsDir, 'quantize-report.json'));
  const models: ModelResult[] = [];
  for (const role of Object.keys(qreport)) {
    for (const v of VARIANTS) {
      const file = path.join(modelsDir, role, v.file);
      if (!fs.existsSync(file)) continue;
      const r = await benchmarkModel(file, test.rows, { latencySamples: p.latency_samples, warmup: p.warmup, threads: p.threads, inTrain });
      const name = `${role}-${v.format.replace('onnx-', '')}`;
      ctx.log.info(`${name}: accuracy ${(100 * r.accuracy).toFixed(2)} (${(100 * r.accuracy_unseen!).toFixed(2)} on the ${test.rows.length - testRowsInTrain} test rows not in train), p50 ${r.latency_ms.p50.toFixed(2)} ms, p99 ${r.latency_ms.p99.toFixed(2)} ms, ${r.size_bytes} bytes`);
      models.push({ ...r, file: path.relative(ctx.root, file), name, role: role === 'teacher' ? 'teacher' : 'student', format: v.format, params: qreport[role].params });
    }
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
  writeJsonAtomic(path.join(ctx.outDir, 'benchmark.json'), { threads: p.threads, test_rows: test.rows.length, test_rows_in_train: testRowsInTrain, models, http, http_server: p.http ? serverSettings(p.http) : null });
  return { summary: { models: models.map((m) => ({ name: m.name, accuracy: m.accuracy, p50_ms: m.latency_ms.p50 })), http } };
}

export const serveStage: StageDefinition<typeof paramsSchema> = { kind: 'serve', schema: paramsSchema, run: runServe };
