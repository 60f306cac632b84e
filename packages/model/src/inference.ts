/**
 * Label logits out of an encoder. A ClassificationHead says how: the classifier on [CLS] (`classifierHead`), a cloze
 * prompt over the MLM head (`promptHead`), or the classifier under trainable prefixes (prefix tuning).
 */
import * as tf from '@tensorflow/tfjs';
import type { WordPieceTokenizer } from '@distill/core';
import { encodeAll, lengthSortedBatches, type Batch } from './batching';
import { hasWide, type Encoder, type ForwardInputs, type ForwardOptions, type Prefix } from './encoder';
import { tableLogits } from './wide';

export interface ClassificationHead {
  encoder: Encoder;
  numLabels: number;
  /** the text the model sees (a prompt template wraps it) */
  prepare(text: string): string;
  /** [batch, labels] */
  logits(batch: Batch, opts: ForwardOptions): tf.Tensor2D;
}

export function batchTensors(b: Batch): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D } {
  return {
    inputIds: tf.tensor2d(b.inputIds, [b.batch, b.seq], 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, [b.batch, b.seq], 'int32'),
  };
}

/** The model's classification: the encoder's classifier on the pooled [CLS] output, plus a wide table's logits when
 * the model has one (two heads, combined here). */
export function classifierHead(encoder: Encoder): ClassificationHead {
  if (encoder.config.numLabels <= 0) throw new Error('classifierHead: the encoder has no classifier (numLabels 0)');
  return { encoder, numLabels: encoder.config.numLabels, prepare: (t) => t, logits: (b, o) => withTable(encoder, batchTensors(b), encoder.forward(batchTensors(b), o).logits!) };
}

/** The encoder's own classifier alone, without a wide table's logits (the same as `classifierHead` without one). */
export function encoderOnlyHead(encoder: Encoder): ClassificationHead {
  if (encoder.config.numLabels <= 0) throw new Error('encoderOnlyHead: the encoder has no classifier (numLabels 0)');
  return { encoder, numLabels: encoder.config.numLabels, prepare: (t) => t, logits: (b, o) => encoder.forward(batchTensors(b), o).logits! };
}

/** The classifier under trainable per-layer prefixes (prefix tuning; the encoder itself stays frozen). */
export function prefixHead(encoder: Encoder, prefix: Prefix): ClassificationHead {
  const base = classifierHead(encoder);
  return { ...base, logits: (b, o) => withTable(encoder, batchTensors(b), encoder.forward(batchTensors(b), { ...o, prefix }).logits!) };
}

/** The encoder's logits plus the wide table's, for a model with one. */
export function withTable(encoder: Encoder, inputs: ForwardInputs, encoderLogits: tf.Tensor2D): tf.Tensor2D {
  return hasWide(encoder.config) ? (encoderLogits.add(tableLogits(encoder, inputs)) as tf.Tensor2D) : encoderLogits;
}

/** Logits for every text, in input order: [texts × labels] row-major (computed in length-sorted batches). */
export function predictLogits(head: ClassificationHead, tokenizer: WordPieceTokenizer, texts: readonly string[], batchSize = 64): Float32Array {
  const k = head.numLabels;
  const out = new Float32Array(texts.length * k);
  const encoded = encodeAll(tokenizer, texts.map((t) => head.prepare(t)), head.encoder.config.maxPositions);
  for (const b of lengthSortedBatches(encoded, batchSize, tokenizer.padId)) {
    const logits = tf.tidy(() => head.logits(b, {}));
    const values = logits.dataSync() as Float32Array;
    b.indices.forEach((row, r) => out.set(values.subarray(r * k, (r + 1) * k), row * k));
    logits.dispose();
  }
  return out;
}
