/**
 * The teacher stage. Reads: the data stage (input `data`) and optionally augmented text (input `augment`).
 * Writes: `checkpoint/` (Hugging Face layout), `logits/{train,valid,test}.arrow` (+ `logits/augmented.arrow`),
 * `metrics.json`, `curves.json`.
 */
import * as path from 'node:path';
import { WordPieceTokenizer, deriveSeed, readDataset, writeJsonAtomic, writeLogits, type StageContext, type StageDefinition } from '@distill/core';
import {
  Encoder,
  batchLabels,
  classifierTask,
  countParams,
  crossEntropy,
  encoderConfigFrom,
  evaluateClassifier,
  loadCheckpoint,
  predictLogits,
  saveCheckpoint,
  selectBackend,
  train,
  trainingConfigFrom,
} from '@distill/model';
import { paramsSchema, type TeacherParams } from './config';

export async function runTeacher(ctx: StageContext<TeacherParams>) {
  const p = ctx.params;
  const backend = await selectBackend(ctx.backend);
  ctx.log.info(`tfjs backend: ${backend}`);
  const dataDir = ctx.input('data');
  const tokenizer = WordPieceTokenizer.fromFile(path.join(dataDir, 'vocab.txt'));
  const trainSet = readDataset(path.join(dataDir, 'train.arrow'));
  const valid = readDataset(path.join(dataDir, 'valid.arrow'));
  const test = readDataset(path.join(dataDir, 'test.arrow'));
  const labels = trainSet.labels;

  const encoder = p.init
    ? loadCheckpoint(ctx.path(p.init), { numLabels: labels.length, seed: deriveSeed(ctx.seed, 'teacher-init') }).encoder
    : Encoder.create(encoderConfigFrom(p.model, tokenizer.size, labels.length), deriveSeed(ctx.seed, 'teacher-init'));
  const params = countParams(encoder.params);
  ctx.log.info(`teacher: ${params} parameters, ${trainSet.rows.length} training rows`);

  const task = classifierTask({
    encoder,
    tokenizer,
    train: trainSet.rows,
    valid: valid.rows,
    labels,
    batchSize: p.training.batch_size,
    loss: (logits, batch) => crossEntropy(logits, batchLabels(trainSet.rows, batch)),
  });
  const result = train(encoder.params, [...encoder.params.keys()], task, trainingConfigFrom(p.training, deriveSeed(ctx.seed, 'teacher-train')), ctx.log, 'teacher');

  saveCheckpoint(path.join(ctx.outDir, 'checkpoint'), encoder, labels, tokenizer.vocab);
  const logitsDir = path.join(ctx.outDir, 'logits');
  const metrics: Record<string, unknown> = {};
  for (const [name, ds] of Object.entries({ train: trainSet, valid, test })) {
    const { metrics: m, logits } = evaluateClassifier(encoder, tokenizer, ds.rows, labels);
    writeLogits(path.join(logitsDir, `${name}.arrow`), ds.rows.map((r) => r.id), logits, labels.length);
    metrics[name] = m;
  }
  if (ctx.inputs.augment) {
    const aug = readDataset(path.join(ctx.input('augment'), 'augmented.arrow'));
    const logits = predictLogits(encoder, tokenizer, aug.rows.map((r) => r.text), encoder.config.maxPositions);
    writeLogits(path.join(logitsDir, 'augmented.arrow'), aug.rows.map((r) => r.id), logits, labels.length);
  }
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), metrics);
  writeJsonAtomic(path.join(ctx.outDir, 'curves.json'), { curve: result.curve, evals: result.evals, best: result.best });
  const testM = metrics.test as { accuracy: number; macro_f1: number };
  ctx.log.info(`teacher test accuracy ${(100 * testM.accuracy).toFixed(2)}, macro-F1 ${(100 * testM.macro_f1).toFixed(2)}; ${result.samplesPerSecond.toFixed(1)} samples/s`);
  encoder.dispose();
  return {
    backend,
    summary: { params, steps: result.steps, samples_per_s: result.samplesPerSecond, test_accuracy: testM.accuracy, test_macro_f1: testM.macro_f1 },
  };
}

export const teacherStage: StageDefinition<typeof paramsSchema> = { kind: 'teacher', schema: paramsSchema, run: runTeacher };
