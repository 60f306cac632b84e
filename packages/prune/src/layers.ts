/**
 * Depth pruning (DynaBERT's depth, Sajjad et al. 2020's layer dropping): whole transformer layers removed, ranked by
 * how much the training loss rises without each. At batch 1 a small model's latency is mostly per-layer fixed costs
 * (attention, LayerNorms, ONNX Runtime's per-op work), which narrowing the FFN leaves in place; removing a layer takes
 * them away.
 */
import * as tf from '@tensorflow/tfjs';
import { Encoder, classifierHead, type Batch, type Params } from '@distill/model';

const LAYER = /^bert\.encoder\.layer\.(\d+)\.(.*)$/;

/** A copy of `encoder` with only the layers `kept` (in their order), renumbered from 0; every other parameter copied. */
export function dropLayers(encoder: Encoder, kept: readonly number[]): Encoder {
  const c = encoder.config;
  if (!kept.length || kept.some((l, i) => !Number.isInteger(l) || l < 0 || l >= c.numLayers || (i > 0 && l <= kept[i - 1]))) {
    throw new Error(`prune: layers to keep must be increasing indices below ${c.numLayers}, got [${kept.join(', ')}]`);
  }
  const renumber = new Map(kept.map((l, i) => [l, i]));
  const params: Params = new Map();
  for (const [name, v] of encoder.params) {
    const m = LAYER.exec(name);
    if (!m) params.set(name, tf.variable(v.clone(), v.trainable));
    else if (renumber.has(Number(m[1]))) params.set(`bert.encoder.layer.${renumber.get(Number(m[1]))}.${m[2]}`, tf.variable(v.clone(), v.trainable));
  }
  return new Encoder({ ...c, numLayers: kept.length }, params);
}

/** Mean loss of the model over `batches`. */
function meanLoss(encoder: Encoder, batches: readonly Batch[], loss: (logits: tf.Tensor2D, batch: Batch) => tf.Scalar): number {
  const head = classifierHead(encoder);
  let total = 0;
  let rows = 0;
  for (const b of batches) {
    total += tf.tidy(() => loss(head.logits(b, {}), b).dataSync()[0]) * b.batch;
    rows += b.batch;
  }
  return rows ? total / rows : 0;
}

/** Each layer's importance: the rise of the mean loss over `batches` when that layer alone is removed (2 layers or more). */
export function layerImportance(encoder: Encoder, batches: readonly Batch[], loss: (logits: tf.Tensor2D, batch: Batch) => tf.Scalar): number[] {
  const L = encoder.config.numLayers;
  const base = meanLoss(encoder, batches, loss);
  return Array.from({ length: L }, (_, l) => {
    const without = dropLayers(encoder, [...Array(L).keys()].filter((k) => k !== l));
    const rise = meanLoss(without, batches, loss) - base;
    without.dispose();
    return rise;
  });
}

/** The `keep` most important layers, in their original order (ties: the lower layer). */
export function topLayers(importance: readonly number[], keep: number): number[] {
  if (keep < 1 || keep > importance.length) throw new Error(`prune: keep ${keep} of ${importance.length} layers`);
  return [...importance.keys()]
    .sort((a, b) => importance[b] - importance[a] || a - b)
    .slice(0, keep)
    .sort((a, b) => a - b);
}
