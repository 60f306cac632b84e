/** Glue between stage params, datasets and the training loop for sequence classification. */
import * as tf from '@tensorflow/tfjs';
import { argmaxRows, classificationMetrics, type ClassificationMetrics, type EncoderParams, type Example, type TrainingParams, type WordPieceTokenizer } from '@distill/core';
import { bucketedBatches, encodeAll, type Batch } from './batching';
import { DEFAULT_ENCODER, type EncoderConfig } from './encoder';
import { predictLogits, type ClassificationHead } from './inference';
import type { TrainTask, TrainingConfig } from './trainer';

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
}

/** A training task over labeled rows, scored by validation accuracy. */
export function classifierTask(o: ClassifierTaskOptions): TrainTask {
  const encoded = encodeAll(o.tokenizer, o.train.map((r) => o.head.prepare(r.text)), o.head.encoder.config.maxPositions);
  return {
    epochBatches: (_epoch, rng) => bucketedBatches(encoded, o.batchSize, o.tokenizer.padId, rng),
    loss: (batch, seed) => o.loss(o.head.logits(batch, { training: true, seed }), batch),
    evaluate: o.valid.length
      ? () => {
          const { metrics } = evaluateClassifier(o.evalHead ?? o.head, o.tokenizer, o.valid, o.labels);
          return { score: metrics.accuracy, accuracy: metrics.accuracy, macro_f1: metrics.macro_f1 };
        }
      : undefined,
  };
}

/** Gathers per-row label indices for a batch as a tensor. */
export function batchLabels(rows: readonly Example[], batch: Batch): tf.Tensor1D {
  return tf.tensor1d(batch.indices.map((i) => rows[i].label), 'int32');
}
