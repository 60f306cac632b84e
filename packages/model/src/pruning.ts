/**
 * Pruning an encoder (the transformers book, ch. 8; DynaBERT and PaddleNLP's width pruning):
 * - structured: each layer's FFN neurons ranked by first-order importance, |∂L/∂m| for a mask m of ones on the
 *   neuron's activation, summed over batches (Molchanov et al. 2017; Michel et al. 2019 score heads the same way), and
 *   the least important removed. The result is a smaller dense model (`intermediateSize` = the neurons kept per layer)
 *   that trains, exports and quantizes like any other.
 * - unstructured: the smallest-magnitude weights of the encoder's dense matrices (embeddings, heads and the n-gram
 *   table excepted) set to zero under one global threshold; the shape, and so the dense kernels' work, is unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from './batching';
import { Encoder, type Params } from './encoder';
import type { ClassificationHead } from './inference';

const ffnIn = (l: number) => `bert.encoder.layer.${l}.intermediate.dense`;
const ffnOut = (l: number) => `bert.encoder.layer.${l}.output.dense`;

/**
 * Each layer's FFN neuron importances over `batches`: Σ_batches |∂loss/∂mask_j|, the mask being ones (so the model's
 * outputs are unchanged). `head` gives the logits (with the model's table, if it has one); `loss` scores a batch.
 */
export function ffnImportance(head: ClassificationHead, batches: readonly Batch[], loss: (logits: tf.Tensor2D, batch: Batch) => tf.Scalar): Float32Array[] {
  const c = head.encoder.config;
  const totals = Array.from({ length: c.numLayers }, () => new Float32Array(c.intermediateSize));
  for (const b of batches) {
    const grads = tf.tidy(() => {
      const masks = Array.from({ length: c.numLayers }, () => tf.ones([c.intermediateSize]) as tf.Tensor1D);
      const g = tf.grads((...m: tf.Tensor[]) => loss(head.logits(b, { ffnMasks: m as tf.Tensor1D[] }), b))(masks);
      return g.map((x) => x.abs());
    });
    grads.forEach((g, l) => {
      const v = g.dataSync();
      for (let j = 0; j < v.length; j++) totals[l][j] += v[j];
      g.dispose();
    });
  }
  return totals;
}

/** The `keep` most important neurons of each layer, in their original order. */
export function topNeurons(importance: readonly Float32Array[], keep: number): number[][] {
  return importance.map((imp) => {
    if (keep < 1 || keep > imp.length) throw new Error(`prune: keep ${keep} of ${imp.length} FFN neurons`);
    return Array.from(imp.keys())
      .sort((a, b) => imp[b] - imp[a] || a - b)
      .slice(0, keep)
      .sort((a, b) => a - b);
  });
}

/**
 * A copy of `encoder` whose FFNs keep only the neurons `kept[l]` (the same count in every layer): the intermediate
 * dense layer's columns and bias entries, and the output dense layer's rows. Every other parameter is copied as is.
 */
export function pruneFfn(encoder: Encoder, kept: readonly (readonly number[])[]): Encoder {
  const c = encoder.config;
  if (kept.length !== c.numLayers) throw new Error(`prune: ${kept.length} layers of neurons for ${c.numLayers} layers`);
  const size = kept[0].length;
  if (kept.some((k) => k.length !== size)) throw new Error('prune: every layer keeps the same number of FFN neurons (the config has one intermediate size)');
  const params: Params = new Map();
  const prunedNames = new Set<string>();
  tf.tidy(() => {
    kept.forEach((neurons, l) => {
      const idx = tf.tensor1d(neurons as number[], 'int32');
      const entries: [string, tf.Tensor][] = [
        [`${ffnIn(l)}.weight`, tf.gather(encoder.params.get(`${ffnIn(l)}.weight`)!, idx, 1)],
        [`${ffnIn(l)}.bias`, tf.gather(encoder.params.get(`${ffnIn(l)}.bias`)!, idx, 0)],
        [`${ffnOut(l)}.weight`, tf.gather(encoder.params.get(`${ffnOut(l)}.weight`)!, idx, 0)],
      ];
      for (const [name, value] of entries) {
        params.set(name, tf.variable(value, encoder.params.get(name)!.trainable));
        prunedNames.add(name);
      }
    });
  });
  for (const [name, v] of encoder.params) if (!prunedNames.has(name)) params.set(name, tf.variable(v.clone(), v.trainable));
  return new Encoder({ ...c, intermediateSize: size }, params);
}

/** The dense matrices unstructured pruning works on: every layer's attention and FFN weights. */
export function prunableMatrices(encoder: Encoder): string[] {
  return [...encoder.params.keys()].filter((n) => /^bert\.encoder\.layer\.\d+\..*\.weight$/.test(n) && encoder.params.get(n)!.rank === 2);
}

/** A copy of `encoder` with the `sparsity` share of its prunable weights, the smallest in magnitude, set to zero. */
export function magnitudePrune(encoder: Encoder, sparsity: number): { encoder: Encoder; threshold: number; zeroed: number } {
  if (!(sparsity >= 0 && sparsity < 1)) throw new Error(`prune: sparsity must be in [0, 1), got ${sparsity}`);
  const names = prunableMatrices(encoder);
  const all = Float32Array.from(names.flatMap((n) => Array.from(encoder.params.get(n)!.dataSync() as Float32Array, Math.abs)));
  all.sort();
  const cut = Math.floor(sparsity * all.length);
  const threshold = cut > 0 ? all[cut - 1] : -1;
  let zeroed = 0;
  const params: Params = new Map();
  for (const [name, v] of encoder.params) {
    if (!names.includes(name)) {
      params.set(name, tf.variable(v.clone(), v.trainable));
      continue;
    }
    const values = Float32Array.from(v.dataSync() as Float32Array);
    for (let i = 0; i < values.length; i++) {
      if (Math.abs(values[i]) <= threshold) {
        values[i] = 0;
        zeroed += 1;
      }
    }
    params.set(name, tf.variable(tf.tensor(values, v.shape), v.trainable));
  }
  return { encoder: new Encoder({ ...encoder.config }, params), threshold, zeroed };
}
