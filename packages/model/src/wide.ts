/**
 * Adding the wide n-gram part (encoder.ts, `wideNgrams`) to an encoder that has none: a fine-tuning run that starts
 * from an MLM-pretrained checkpoint, or a distilled student that takes its teacher's table; and fitting the table alone.
 */
import * as tf from '@tensorflow/tfjs';
import type { Example, Logger, WordPieceTokenizer } from '@distill/core';
import { batchLabels, classifierTask } from './classifier-task';
import { Encoder, WIDE_TABLE, hasWide, wideNgrams, wideShape, type ForwardInputs, type WideShape } from './encoder';
import { batchTensors, type ClassificationHead } from './inference';
import { crossEntropy } from './losses';
import { train, type TrainingConfig, type TrainResult } from './trainer';

/**
 * `encoder` with a wide table of `wide.buckets` × labels: a copy of `from`'s table (same buckets, n-gram order, pooling
 * and labels required) or zeros. The result shares every other parameter with `encoder`: dispose only the result.
 */
export function withWide(encoder: Encoder, wide: WideShape, from?: Encoder): Encoder {
  const config = { ...encoder.config, wideBuckets: wide.buckets, wideMaxN: wide.maxN, widePooling: wide.pooling };
  if (!hasWide(config)) throw new Error('wide: the model needs a classifier (labels) for a wide part');
  if (from) {
    const f = wideShape(from.config);
    if (!f) throw new Error('wide: the model to copy the table from has no wide part');
    if (f.buckets !== wide.buckets || f.maxN !== wide.maxN || f.pooling !== wide.pooling || from.config.numLabels !== config.numLabels) {
      throw new Error(`wide: the source table is ${f.buckets} buckets / n ≤ ${f.maxN} / ${f.pooling} pooling / ${from.config.numLabels} labels; wanted ${wide.buckets} / ${wide.maxN} / ${wide.pooling} / ${config.numLabels}`);
    }
  }
  const params = new Map(encoder.params);
  params.get(WIDE_TABLE)?.dispose();
  const table = from ? tf.clone(from.params.get(WIDE_TABLE)!) : tf.zeros([wide.buckets, config.numLabels]);
  params.set(WIDE_TABLE, tf.variable(table, true));
  table.dispose();
  return new Encoder(config, params);
}

/**
 * The wide table's logits, a head of its own beside the encoder: Σₖ weightₖ · table[idₖ] over the text's hashed token
 * n-grams (`wideNgrams`), the weights 1/count (`mean` pooling) or 1/√count (`sqrt`) → [batch, labels].
 */
export function tableLogits(encoder: Encoder, inputs: ForwardInputs): tf.Tensor2D {
  const c = encoder.config;
  const wide = wideShape(c);
  if (!wide) throw new Error('wide: this model has no wide part');
  const { ids, weights } = wideNgrams(inputs.inputIds, inputs.attentionMask, wide);
  const [batch, k] = ids.shape;
  const rows = tf.gather(encoder.params.get(WIDE_TABLE)!, ids.flatten()).reshape([batch, k, c.numLabels]);
  return rows.mul(weights.expandDims(2)).sum(1) as tf.Tensor2D;
}

/** Rows `indices` of a [rows × k] row-major array as a [indices.length, k] tensor (e.g. a batch's out-of-fold logits). */
export function gatherRows(values: Float32Array, indices: readonly number[], k: number): tf.Tensor2D {
  const out = new Float32Array(indices.length * k);
  indices.forEach((r, i) => out.set(values.subarray(r * k, (r + 1) * k), i * k));
  return tf.tensor2d(out, [indices.length, k]);
}

/**
 * Stacking: the encoder's own classifier beside fixed per-row table logits (out-of-fold: each row's from a table fitted
 * without it) instead of the table, which has memorized the training rows. Row i of a batch is source row indices[i].
 */
export function stackedHead(encoder: Encoder, outOfFold: Float32Array): ClassificationHead {
  const k = encoder.config.numLabels;
  return { encoder, numLabels: k, prepare: (t) => t, logits: (b, o) => encoder.forward(batchTensors(b), o).logits!.add(gatherRows(outOfFold, b.indices, k)) as tf.Tensor2D };
}

/** The table's parameter count (0 without one): the model's parameters per part are this and the rest. */
export function tableParams(encoder: Encoder): number {
  return encoder.params.get(WIDE_TABLE)?.size ?? 0;
}

/** The wide part's logits alone, as a classification head: to fit or score the table without the encoder. */
export function wideHead(encoder: Encoder): ClassificationHead {
  if (!hasWide(encoder.config)) throw new Error('wide: this model has no wide part');
  return { encoder, numLabels: encoder.config.numLabels, prepare: (t) => t, logits: (b) => tableLogits(encoder, batchTensors(b)) };
}

export interface FitWideData {
  tokenizer: WordPieceTokenizer;
  train: readonly Example[];
  valid: readonly Example[];
  labels: readonly string[];
}

/**
 * Fits the wide table alone, as a linear n-gram classifier (cross-entropy on its own logits), every other parameter
 * untouched; the table with the best valid accuracy is kept (the training loop's evaluation). `cfg.wideLr` is its
 * learning rate. Run before the encoder trains beside it: trained jointly from zero, the table stops short of what it
 * reaches alone.
 */
export async function fitWide(encoder: Encoder, data: FitWideData, cfg: TrainingConfig, log: Logger, label = 'wide'): Promise<TrainResult> {
  if (!cfg.wideLr) throw new Error('wide: fitting the table needs a learning rate (wideLr > 0)');
  const task = classifierTask({
    head: wideHead(encoder),
    tokenizer: data.tokenizer,
    train: data.train,
    valid: data.valid,
    labels: data.labels,
    batchSize: cfg.batchSize,
    loss: (logits, batch) => crossEntropy(logits, batchLabels(data.train, batch)),
  });
  return train(encoder.params, [WIDE_TABLE], task, cfg, log, label);
}
