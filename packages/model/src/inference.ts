/** Batched inference of the classifier: logits for every text, in input order. */
import * as tf from '@tensorflow/tfjs';
import type { WordPieceTokenizer } from '@distill/core';
import { encodeAll, sequentialBatches, type Batch } from './batching';
import type { Encoder } from './encoder';

export function batchTensors(b: Batch): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D } {
  return {
    inputIds: tf.tensor2d(b.inputIds, [b.batch, b.seq], 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, [b.batch, b.seq], 'int32'),
  };
}

export function predictLogits(encoder: Encoder, tokenizer: WordPieceTokenizer, texts: readonly string[], maxLength: number, batchSize = 64): Float32Array {
  const k = encoder.config.numLabels;
  if (k <= 0) throw new Error('predictLogits: the encoder has no classifier head');
  const out = new Float32Array(texts.length * k);
  for (const b of sequentialBatches(encodeAll(tokenizer, texts, maxLength), batchSize, tokenizer.padId)) {
    const logits = tf.tidy(() => encoder.forward(batchTensors(b)).logits!);
    const values = logits.dataSync() as Float32Array;
    b.indices.forEach((row, r) => out.set(values.subarray(r * k, (r + 1) * k), row * k));
    logits.dispose();
  }
  return out;
}
