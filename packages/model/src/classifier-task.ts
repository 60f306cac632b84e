/** Glue between stage params, datasets and the training loop for sequence classification. */
import * as tf from '@tensorflow/tfjs';
import { argmaxRows, classificationMetrics, labelSets, multiLabelMetrics, sigmoidAll, type ClassificationMetrics, type EncoderParams, type Example, type MultiLabelMetrics, type TrainingParams, type WordPieceTokenizer } from '@distill/core';
import { bucketedBatches, encodeAll, type Batch } from './batching';
import { DEFAULT_ENCODER, type EncoderConfig } from './encoder';
import { predictLogits, type ClassificationHead } from './inference';
import type { Evaluation, TrainTask, TrainingConfig } from './trainer';

export function encoderConfigFrom(p: EncoderParams, vocabSize: number, numLabels: number, mlmHead = false): EncoderConfig {
  return {
    ...DEFAULT_ENCODER,
    vocabSize,
    hiddenSize: p.hidden_size,
    numLayers: p.layers,
    numHeads: p.heads,
    intermediateSize: p.intermediate_size,
    maxPositions: p.max_length,
    hiddenDropout: p.dropout,
    attentionDropout: p.dropout,
    numLabels,
    mlmHead,
  };
}

export function trainingConfigFrom(p: TrainingParams, seed: number): TrainingConfig {
  return {
    epochs: p.epochs,
    batchSize: p.batch_size,
    lr: p.lr,
    weightDecay: p.weight_decay,
    warmupRatio: p.warmup_ratio,
    maxGradNorm: p.max_grad_norm,
    gradAccum: p.grad_accum,
    evalEvery: p.eval_every,
    patience: p.patience,
    maxSteps: p.max_steps,
    wideLr: p.wide_lr,
    seed,
  };
}

export function evaluateClassifier(head: ClassificationHead, tokenizer: WordPieceTokenizer, rows: readonly Example[], labels: readonly string[]): { metrics: ClassificationMetrics; logits: Float32Array } {
  const logits = predictLogits(head, tokenizer, rows.map((r) => r.text));
  const metrics = classificationMetrics(rows.map((r) => r.label), argmaxRows(logits, labels.length), labels);
  return { metrics, logits };
}

/**
 * A multi-label classifier on labeled rows: sigmoid probabilities and the metrics at `thresholds` (one per label;
 * 0.5 each unless given).
 */
export function evaluateMultiLabel(head: ClassificationHead, tokenizer: WordPieceTokenizer, rows: readonly Example[], labels: readonly string[], thresholds: readonly number[] = labels.map(() => 0.5)): { metrics: MultiLabelMetrics; logits: Float32Array; probs: Float32Array } {
  const logits = predictLogits(head, tokenizer, rows.map((r) => r.text));
  const probs = sigmoidAll(logits);
  return { metrics: multiLabelMetrics(labelSets(rows), probs, thresholds, labels), logits, probs };
}

/** The loss of one batch given the model's logits; row `i` of the batch is source row `batch.indices[i]`. */
export type ClassifierLoss = (logits: tf.Tensor2D, batch: Batch) => tf.Scalar;

export interface ClassifierTaskOptions {
  head: ClassificationHead;
  /** the head valid is scored with, when training runs through another (stacking: out-of-fold table logits) */
  evalHead?: ClassificationHead;
  tokenizer: WordPieceTokenizer;
  train: readonly Example[];
  valid: readonly Example[];
  labels: readonly string[];
  batchSize: number;
  loss: ClassifierLoss;
  /** multi-label: valid is scored by micro-F1 at threshold 0.5 (the per-label thresholds are chosen after training) */
  multiLabel?: boolean;
}

/** A training task over labeled rows, scored by validation accuracy. */
export function classifierTask(o: ClassifierTaskOptions): TrainTask {
  const encoded = encodeAll(o.tokenizer, o.train.map((r) => o.head.prepare(r.text)), o.head.encoder.config.maxPositions);
  return {
    epochBatches: (_epoch, rng) => bucketedBatches(encoded, o.batchSize, o.tokenizer.padId, rng),
    loss: (batch, seed) => o.loss(o.head.logits(batch, { training: true, seed }), batch),
    evaluate: o.valid.length
      ? (): Evaluation => {
          if (o.multiLabel) {
            const { metrics } = evaluateMultiLabel(o.evalHead ?? o.head, o.tokenizer, o.valid, o.labels);
            return { score: metrics.micro_f1, micro_f1: metrics.micro_f1, macro_f1: metrics.macro_f1, subset_accuracy: metrics.subset_accuracy };
          }
          const { metrics } = evaluateClassifier(o.evalHead ?? o.head, o.tokenizer, o.valid, o.labels);
          return { score: metrics.accuracy, accuracy: metrics.accuracy, macro_f1: metrics.macro_f1 };
        }
      : undefined,
  };
}

/** A batch's label sets as 0/1 targets [batch, k] (multi-label). */
export function batchMultiHot(rows: readonly Example[], batch: Batch, k: number): tf.Tensor2D {
  const out = new Float32Array(batch.indices.length * k);
  batch.indices.forEach((r, i) => {
    for (const j of rows[r].labels ?? (rows[r].label >= 0 ? [rows[r].label] : [])) out[i * k + j] = 1;
  });
  return tf.tensor2d(out, [batch.indices.length, k]);
}

/** Gathers per-row label indices for a batch as a tensor. */
export function batchLabels(rows: readonly Example[], batch: Batch): tf.Tensor1D {
  return tf.tensor1d(batch.indices.map((i) => rows[i].label), 'int32');
}
