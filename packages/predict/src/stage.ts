/**
 * The predict stage. Reads: the `model` input (a quantize stage: `<role>/model[.int8].onnx` and its model directory)
 * and the file named by `file`. Writes: `predictions.jsonl` (or `.arrow`) and `predict-report.json` (rows, label
 * counts, speed). Batch prediction is not evaluation: the file's labels, if any, are not read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic, type StageContext, type StageDefinition } from '@distill/core';
import { OnnxClassifier } from '@distill/runtime';
import { paramsSchema, type PredictParams } from './config';
import { labelCounts, predictAll, readInputs, writePredictions } from './predict';

export async function runPredict(ctx: StageContext<PredictParams>) {
  const p = ctx.params;
  const dir = path.join(ctx.input('model'), p.role);
  const modelFile = path.join(dir, p.precision === 'int8' ? 'model.int8.onnx' : 'model.onnx');
  if (!fs.existsSync(modelFile)) throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.params: ${path.relative(ctx.root, modelFile)} not found (role '${p.role}', precision ${p.precision})`);
  const file = ctx.path(p.file);
  ctx.recordRead(file);
  const input = readInputs(file, p.read);
  if (!input.texts.length) throw new Error(`${file}: no texts to predict`);
  ctx.log.info(`${input.texts.length} texts from ${p.file}${input.skipped_blank ? ` (${input.skipped_blank} blank lines skipped)` : ''}; model ${path.relative(ctx.root, modelFile)}`);
  const clf = await OnnxClassifier.load(modelFile);
  const started = Date.now();
  let predictions;
  try {
    predictions = await predictAll(clf, input.texts, p.batch_size);
  } finally {
    await clf.dispose();
  }
  const seconds = (Date.now() - started) / 1000;
  const out = `predictions.${p.output}`;
  writePredictions(path.join(ctx.outDir, out), input.ids, predictions, p.output, p.top_k);
  const summary = { file: p.file, model: path.relative(ctx.root, modelFile), output: out, rows: input.texts.length, skipped_blank: input.skipped_blank, label_counts: labelCounts(predictions), seconds, texts_per_second: input.texts.length / seconds };
  writeJsonAtomic(path.join(ctx.outDir, 'predict-report.json'), summary);
  return { summary };
}

export const predictStage: StageDefinition<typeof paramsSchema> = { kind: 'predict', schema: paramsSchema, run: runPredict };
