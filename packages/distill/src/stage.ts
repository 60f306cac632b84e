/**
 * The distill stage. Reads: the data stage (input `data`), the teacher's logits (input `teacher`), optionally augmented
 * text (input `augment`). Writes: `checkpoint/` (the student), `logits/test.arrow`, `metrics.json`, `curves.json`.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { WordPieceTokenizer, deriveSeed, readDataset, readLogits, writeJsonAtomic, writeLogits, type Example, type StageContext, type StageDefinition } from '@distill/core';
import { Encoder, batchLabels, classifierHead, classifierTask, countParams, encoderConfigFrom, evaluateClassifier, saveCheckpoint, selectBackend, train, trainingConfigFrom } from '@distill/model';
import { paramsSchema, type DistillParams } from './config';
import { distillationLoss } from './losses';

/** Rows with the teacher's logits aligned to them by id. */
function withTeacherLogits(rows: Example[], logitsFile: string): { rows: Example[]; logits: Float32Array; k: number } {
  const t = readLogits(logitsFile);
  const byId = new Map(t.ids.map((id, i) => [id, i]));
  const out = new Float32Array(rows.length * t.numLabels);
  rows.forEach((r, i) => {
    const j = byId.get(r.id);
    if (j === undefined) throw new Error(`${logitsFile}: no teacher logits for row id '${r.id}'`);
    out.set(t.logits.subarray(j * t.numLabels, (j + 1) * t.numLabels), i * t.numLabels);
  });
  return { rows, logits: out, k: t.numLabels };
}

export async function runDistill(ctx: StageContext<DistillParams>) {
  const p = ctx.params;
  const backend = await selectBackend(ctx.backend);
  const dataDir = ctx.input('data');
  const teacherDir = ctx.input('teacher');
  const tokenizer = WordPieceTokenizer.fromFile(path.join(dataDir, 'vocab.txt'));
  const trainSet = readDataset(path.join(dataDir, 'train.arrow'));
  const valid = readDataset(path.join(dataDir, 'valid.arrow'));
  const test = readDataset(path.join(dataDir, 'test.arrow'));
  const labels = trainSet.labels;

  const parts = [withTeacherLogits(trainSet.rows, path.join(teacherDir, 'logits', 'train.arrow'))];
  if (p.use_augmented) {
    const aug = readDataset(path.join(ctx.input('augment'), 'augmented.arrow'));
    const strategy = aug.arrow.strings('strategy');
    const extra = aug.rows.filter((_, i) => strategy[i] !== 'original');
    parts.push(withTeacherLogits(extra, path.join(teacherDir, 'logits', 'augmented.arrow')));
  }
  const rows = parts.flatMap((x) => x.rows);
  const k = labels.length;
  const teacherLogits = new Float32Array(rows.length * k);
  let offset = 0;
  for (const part of parts) {
    teacherLogits.set(part.logits, offset);
    offset += part.logits.length;
  }

  const student = Encoder.create(encoderConfigFrom(p.student, tokenizer.size, k), deriveSeed(ctx.seed, 'student-init'));
  const params = countParams(student.params);
  ctx.log.info(`student: ${params} parameters; ${rows.length} training rows; alpha=${p.alpha} T=${p.temperature}`);
  const head = classifierHead(student);
  const task = classifierTask({
    head,
    tokenizer,
    train: rows,
    valid: valid.rows,
    labels,
    batchSize: p.training.batch_size,
    loss: (logits, batch) => {
      const t = tf.tensor2d(batch.indices.flatMap((i) => Array.from(teacherLogits.subarray(i * k, (i + 1) * k))), [batch.batch, k]);
      return distillationLoss(logits, t, batchLabels(rows, batch), p.alpha, p.temperature);
    },
  });
  const result = await train(student.params, [...student.params.keys()], task, trainingConfigFrom(p.training, deriveSeed(ctx.seed, 'student-train')), ctx.log, 'distill', ctx.resume('train', p.training.checkpoint_every));

  saveCheckpoint(path.join(ctx.outDir, 'checkpoint'), student, labels, tokenizer.vocab);
  const { metrics, logits } = evaluateClassifier(head, tokenizer, test.rows, labels);
  writeLogits(path.join(ctx.outDir, 'logits', 'test.arrow'), test.rows.map((r) => r.id), logits, k);
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), { test: metrics });
  writeJsonAtomic(path.join(ctx.outDir, 'curves.json'), { curve: result.curve, evals: result.evals, best: result.best });
  ctx.log.info(`student test accuracy ${(100 * metrics.accuracy).toFixed(2)}, macro-F1 ${(100 * metrics.macro_f1).toFixed(2)}`);
  student.dispose();
  return { backend, summary: { params, steps: result.steps, samples_per_s: result.samplesPerSecond, test_accuracy: metrics.accuracy, test_macro_f1: metrics.macro_f1 } };
}

export const distillStage: StageDefinition<typeof paramsSchema> = { kind: 'distill', schema: paramsSchema, run: runDistill };
