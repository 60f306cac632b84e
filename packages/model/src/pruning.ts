/**
 * Pruning an encoder (the transformers book, ch. 8; DynaBERT and PaddleNLP's width pruning):
 * - structured: each layer's FFN neurons ranked by first-order importance, |∂L/∂m| for a mask m of ones on the
 *   neuron's activation, summed over batches (Molchanov et al. 2017; Michel et al. 2019 score heads the same way), and
 *   the least important removed. The result is a smaller dense model (`intermediateSize` = the neurons kept per layer)
 *   that trains, exports and quantizes like any other.
 * - unstructured: the smallest-magnitude weights of the encoder's dense matrices (embeddings, heads and the n-gram
 *   table excepted) set to zero under one global threshold; the shape, and so the dense kernels' work, is unchanged.
 *   One-shot (`magnitudePrune`), or gradually while training (`GradualPruner`): magnitude pruning (Zhu & Gupta 2017)
 *   or movement pruning (Sanh et al. 2020: weights scored by −Σ ∂L/∂W · W, so those the training pushes toward zero
 *   go first), the sparsity rising on a cubic schedule.
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
  const cutoff = threshold(Float32Array.from(names.flatMap((n) => Array.from(encoder.params.get(n)!.dataSync() as Float32Array, Math.abs))), sparsity);
  let zeroed = 0;
  const params: Params = new Map();
  for (const [name, v] of encoder.params) {
    if (!names.includes(name)) {
      params.set(name, tf.variable(v.clone(), v.trainable));
      continue;
    }
    const values = Float32Array.from(v.dataSync() as Float32Array);
    for (let i = 0; i < values.length; i++) {
      if (Math.abs(values[i]) <= cutoff) {
        values[i] = 0;
        zeroed += 1;
      }
    }
    params.set(name, tf.variable(tf.tensor(values, v.shape), v.trainable));
  }
  return { encoder: new Encoder({ ...encoder.config }, params), threshold: cutoff, zeroed };
}

/** The sparsity at `step` of a cubic schedule: 0 until `start`, rising as 1 − (1 − progress)³ to `final` at `end`. */
export function cubicSparsity(step: number, final: number, start: number, end: number): number {
  if (step <= start) return 0;
  if (step >= end) return final;
  return final * (1 - (1 - (step - start) / (end - start)) ** 3);
}

/** The value at or below which the `share` smallest of `values` lie (-1 for share 0). */
function threshold(values: Float32Array, share: number): number {
  const cut = Math.floor(share * values.length);
  return cut > 0 ? Float32Array.from(values).sort()[cut - 1] : -1;
}

export interface GradualPruning {
  method: 'magnitude' | 'movement';
  /** the final share of the prunable weights set to zero */
  sparsity: number;
  /** the schedule runs over this share of the training steps (from the start); the rest trains at the final sparsity */
  rampShare: number;
  /** the masks are recomputed every this many steps (and kept applied in between) */
  every: number;
}

/**
 * Gradual unstructured pruning of an encoder's layer matrices during training (`TrainingConfig.afterUpdate`). The
 * pruner keeps each matrix dense beside the model (the straight-through estimator: a pruned weight still moves with its
 * gradient, and can come back), and after every update sets the model's weights to the dense ones under the masks.
 * Every `every` steps the masks are recomputed for the schedule's sparsity under one global threshold on the scores:
 * |W| for magnitude, the accumulated −∂L/∂W · W for movement.
 */
export class GradualPruner {
  private readonly names: string[];
  private readonly dense = new Map<string, Float32Array>();
  private readonly masks = new Map<string, Float32Array>();
  private readonly scores = new Map<string, Float32Array>();
  current = 0;

  constructor(private readonly encoder: Encoder, private readonly cfg: GradualPruning) {
    if (!(cfg.sparsity > 0 && cfg.sparsity < 1)) throw new Error(`prune: sparsity must be in (0, 1), got ${cfg.sparsity}`);
    this.names = prunableMatrices(encoder);
    for (const n of this.names) {
      const size = encoder.params.get(n)!.size;
      this.dense.set(n, Float32Array.from(encoder.params.get(n)!.dataSync() as Float32Array));
      this.masks.set(n, new Float32Array(size).fill(1));
      this.scores.set(n, new Float32Array(size));
    }
  }

  afterUpdate(step: number, totalSteps: number, grads: ReadonlyMap<string, tf.Tensor>): void {
    const P = this.encoder.params;
    for (const n of this.names) {
      // the update moved the masked weights (w ⊙ m) to p: the dense weights take the same step
      const p = P.get(n)!.dataSync() as Float32Array;
      const w = this.dense.get(n)!;
      const m = this.masks.get(n)!;
      for (let i = 0; i < w.length; i++) w[i] += p[i] - w[i] * m[i];
      const g = grads.get(n);
      if (this.cfg.method === 'movement' && g) {
        const gv = g.dataSync() as Float32Array;
        const s = this.scores.get(n)!;
        for (let i = 0; i < s.length; i++) s[i] -= gv[i] * w[i];
      }
    }
    const end = Math.max(1, Math.round(this.cfg.rampShare * totalSteps));
    const target = cubicSparsity(step, this.cfg.sparsity, 0, end);
    if (target > 0 && (step % this.cfg.every === 0 || this.done(step, totalSteps)) && target !== this.current) this.remask(target);
    for (const n of this.names) {
      const w = this.dense.get(n)!;
      const m = this.masks.get(n)!;
      const v = P.get(n)!;
      const masked = tf.tensor(Float32Array.from(w, (x, i) => x * m[i]), v.shape);
      v.assign(masked);
      masked.dispose();
    }
  }

  private remask(target: number): void {
    const score = (n: string) => (this.cfg.method === 'movement' ? this.scores.get(n)! : Float32Array.from(this.dense.get(n)!, Math.abs));
    const all = new Float32Array(this.names.reduce((a, n) => a + this.dense.get(n)!.length, 0));
    let offset = 0;
    for (const n of this.names) {
      const s = score(n);
      all.set(s, offset);
      offset += s.length;
    }
    const t = threshold(all, target);
    for (const n of this.names) {
      const s = score(n);
      const m = this.masks.get(n)!;
      for (let i = 0; i < m.length; i++) m[i] = s[i] > t ? 1 : 0;
    }
    this.current = target;
  }

  /** Whether the schedule has reached its final sparsity by `step` (the trainer keeps a best step only from then on). */
  done(step: number, totalSteps: number): boolean {
    return step >= Math.max(1, Math.round(this.cfg.rampShare * totalSteps));
  }

  /** The share of the prunable weights that are zero now. */
  sparsity(): number {
    let zeros = 0;
    let total = 0;
    for (const n of this.names) {
      const v = this.encoder.params.get(n)!.dataSync();
      total += v.length;
      for (const x of v) if (x === 0) zeros += 1;
    }
    return total ? zeros / total : 0;
  }

}
