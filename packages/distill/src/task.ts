/**
 * Task-specific distillation: the student learns from labeled task data (plus, for data distillation, augmented and
 * unlabeled rows with the teacher's logits) with α · soft-label loss + (1 − α) · hard-label loss + w · latent loss.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { argmaxRows, readLogits, type Dataset, type Example, type WordPieceTokenizer } from '@distill/core';
import { batchLabels, batchTensors, bucketedBatches, classifierHead, encodeAll, evaluateClassifier, gatherRows, hasWide, tableLogits, type Encoder, type ForwardInputs, type TrainTask } from '@distill/model';
import type { LatentParams } from './config';
import { latentLossOf } from './latent';
import { distillationLoss } from './losses';

/** Training rows with the teacher's logits, aligned by row id. */
export interface DistillSet {
  rows: Example[];
  teacherLogits: Float32Array;
  numLabels: number;
  parts: Record<string, number>;
  /**
   * Stacking, for a student that carries the teacher's table: per row, the table's out-of-fold logits (the teacher's
   * `logits/train-table-oof.arrow`) for the training rows, which the full table has memorized; NaN rows use the table.
   */
  tableOutOfFold?: Float32Array;
}

function aligned(rows: Example[], logitsFile: string): Float32Array {
  const t = readLogits(logitsFile);
  const byId = new Map(t.ids.map((id, i) => [id, i]));
  const out = new Float32Array(rows.length * t.numLabels);
  rows.forEach((r, i) => {
    const j = byId.get(r.id);
    if (j === undefined) throw new Error(`${logitsFile}: no teacher logits for row id '${r.id}'`);
    out.set(t.logits.subarray(j * t.numLabels, (j + 1) * t.numLabels), i * t.numLabels);
  });
  return out;
}

export interface DistillSetOptions {
  /** reads a dataset of an input stage (`data`, `augment`): the stage harness's `ctx.dataset` */
  read(role: string, file: string): Dataset;
  /** records a file read outside `read` (the teacher's logits) */
  recordRead?(file: string): void;
  /** the teacher stage's output (its logits); absent for the student-alone baseline (hard labels only) */
  teacherDir?: string;
  /** the student carries the teacher's table: read the table's out-of-fold logits for the training rows, if written */
  tableOutOfFold?: boolean;
  hasAugment: boolean;
  useAugmented: boolean;
  useUnlabeled: boolean;
}

/** The labeled training split, plus (data distillation) augmented rows and teacher-labelled unlabeled rows. */
export function distillSet(o: DistillSetOptions): DistillSet {
  const train = o.read('data', 'train.arrow');
  const logitsFile = (name: string) => {
    const file = path.join(o.teacherDir!, 'logits', `${name}.arrow`);
    o.recordRead?.(file);
    return file;
  };
  const k = train.labels.length;
  if (!o.teacherDir) {
    if (o.useAugmented || o.useUnlabeled) throw new Error('data distillation (use_augmented, use_unlabeled) needs input teacher: its logits label the extra rows');
    // no teacher: soft labels are unused (alpha 0), the logits stay zero
    return { rows: train.rows, teacherLogits: new Float32Array(train.rows.length * k), numLabels: k, parts: { train: train.rows.length } };
  }
  const parts: { name: string; rows: Example[]; logits: Float32Array }[] = [{ name: 'train', rows: train.rows, logits: aligned(train.rows, logitsFile('train')) }];
  if (o.useAugmented) {
    if (!o.hasAugment) throw new Error('use_augmented needs input augment');
    const aug = o.read('augment', 'augmented.arrow');
    const strategy = aug.arrow.strings('strategy');
    const rows = aug.rows.filter((_, i) => strategy[i] !== 'original');
    parts.push({ name: 'augmented', rows, logits: aligned(rows, logitsFile('augmented')) });
  }
  if (o.useUnlabeled) {
    const unl = o.read('data', 'unlabeled.arrow');
    const logits = aligned(unl.rows, logitsFile('unlabeled'));
    const pseudo = argmaxRows(logits, k); // the teacher's labels are the hard labels of unlabeled text
    parts.push({ name: 'unlabeled', rows: unl.rows.map((r, i) => ({ ...r, label: pseudo[i] })), logits });
  }
  const rows = parts.flatMap((p) => p.rows);
  const teacherLogits = new Float32Array(rows.length * k);
  let offset = 0;
  for (const p of parts) {
    teacherLogits.set(p.logits, offset);
    offset += p.logits.length;
  }
  let tableOutOfFold: Float32Array | undefined;
  const oofFile = path.join(o.teacherDir, 'logits', 'train-table-oof.arrow');
  if (o.tableOutOfFold && fs.existsSync(oofFile)) {
    o.recordRead?.(oofFile);
    tableOutOfFold = new Float32Array(rows.length * k).fill(NaN);
    tableOutOfFold.set(aligned(train.rows, oofFile), 0); // the training rows come first
  }
  return { rows, teacherLogits, numLabels: k, parts: Object.fromEntries(parts.map((p) => [p.name, p.rows.length])), ...(tableOutOfFold ? { tableOutOfFold } : {}) };
}

/**
 * The student's logits for a batch: its encoder's, plus its table's when it carries one; with out-of-fold table logits,
 * the rows that have them take those instead of the table's (the table has memorized them).
 */
export function studentBatchLogits(student: Encoder, inputs: ForwardInputs, encoderLogits: tf.Tensor2D, set: DistillSet, indices: readonly number[]): tf.Tensor2D {
  if (!hasWide(student.config)) return encoderLogits;
  const table = tableLogits(student, inputs);
  const oof = set.tableOutOfFold;
  if (!oof) return encoderLogits.add(table) as tf.Tensor2D;
  const k = set.numLabels;
  const has = indices.map((i) => !Number.isNaN(oof[i * k]));
  const mask = tf.tensor2d(has.map(Number), [indices.length, 1]);
  // rows without out-of-fold logits gather row 0 and are zeroed by the mask
  const known = gatherRows(oof, indices.map((i, j) => (has[j] ? i : 0)), k).mul(mask);
  return encoderLogits.add(table.mul(tf.scalar(1).sub(mask)).add(known)) as tf.Tensor2D;
}

export interface TaskDistillOptions {
  student: Encoder;
  /** the teacher model, for the latent term (null: no latent term) */
  teacher: Encoder | null;
  tokenizer: WordPieceTokenizer;
  set: DistillSet;
  valid: readonly Example[];
  labels: readonly string[];
  batchSize: number;
  alpha: number;
  temperature: number;
  latent: LatentParams;
}

/** One student forward per batch feeds the soft-, hard- and latent-loss terms. */
export function taskDistillTask(o: TaskDistillOptions): TrainTask {
  const k = o.set.numLabels;
  const useLatent = o.teacher !== null && o.latent.weight > 0;
  const maxLength = Math.min(o.student.config.maxPositions, o.teacher?.config.maxPositions ?? Infinity);
  const encoded = encodeAll(o.tokenizer, o.set.rows.map((r) => r.text), maxLength);
  const head = classifierHead(o.student);
  return {
    epochBatches: (_e, rng) => bucketedBatches(encoded, o.batchSize, o.tokenizer.padId, rng),
    loss: (batch, seed, terms) => {
      const inputs = batchTensors(batch);
      const s = o.student.forward(inputs, { training: true, seed });
      const teacherLogits = tf.tensor2d(batch.indices.flatMap((i) => Array.from(o.set.teacherLogits.subarray(i * k, (i + 1) * k))), [batch.batch, k]);
      // the student's classification: its encoder's logits, plus its wide table's when it carries one
      const studentLogits = studentBatchLogits(o.student, inputs, s.logits!, o.set, batch.indices);
      let loss = distillationLoss(studentLogits, teacherLogits, batchLabels(o.set.rows, batch), o.alpha, o.temperature, terms);
      if (useLatent) {
        const latent = latentLossOf(o.teacher!, o.teacher!.forward(inputs), o.student, s, o.latent, inputs.attentionMask).mul(o.latent.weight) as tf.Scalar;
        terms?.('latent', latent);
        loss = loss.add(latent) as tf.Scalar;
      }
      return loss;
    },
    evaluate: o.valid.length
      ? () => {
          const { metrics } = evaluateClassifier(head, o.tokenizer, o.valid, o.labels);
          return { score: metrics.accuracy, accuracy: metrics.accuracy, macro_f1: metrics.macro_f1 };
        }
      : undefined,
  };
}
