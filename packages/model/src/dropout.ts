/**
 * Dropout with masks from a counter-based hash: element i of a mask keeps its value (scaled by 1 / (1 − rate)) when
 * the top 24 bits of mix(mix(i) ^ key) reach rate · 2^24, the key coming from the seed. tfjs's own dropout draws its
 * masks one number at a time in JavaScript, a large share of a small model's training step; the hash is the same in
 * the native kernel (native/kernels.c, registered on wasm) and here, so every backend draws the same masks.
 */
import * as tf from '@tensorflow/tfjs';

export const DROPOUT_MASK = 'DistillDropoutMask';

/** lowbias32 (C. Wellons' integer hash): a bijection on uint32 */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export interface DropoutMaskAttrs {
  shape: number[];
  key: number;
  /** rate · 2^24: the top 24 bits of an element's hash below this drop it */
  threshold: number;
  /** 1 / (1 − rate) */
  scale: number;
}

export function dropoutMaskAttrs(shape: readonly number[], rate: number, seed: number): DropoutMaskAttrs {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  return { shape: [...shape], key: mix32(lo ^ mix32((hi + 0x9e3779b9) >>> 0)), threshold: Math.round(rate * 2 ** 24), scale: Math.fround(1 / (1 - rate)) };
}

/** The mask's values, computed in JavaScript (the reference for the native kernel). */
export function dropoutMaskValues(a: DropoutMaskAttrs): Float32Array {
  const n = a.shape.reduce((x, y) => x * y, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = mix32(mix32(i) ^ a.key) >>> 8 >= a.threshold ? a.scale : 0;
  return out;
}

/** A dropout mask of `shape`: the native kernel where the backend has it, else computed here. */
export function dropoutMask(shape: readonly number[], rate: number, seed: number): tf.Tensor {
  const attrs = dropoutMaskAttrs(shape, rate, seed);
  if (tf.getKernel(DROPOUT_MASK, tf.getBackend())) return tf.engine().runKernel(DROPOUT_MASK, {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  return tf.tensor(dropoutMaskValues(attrs), attrs.shape, 'float32');
}

/** x with each element zeroed at `rate` and the rest scaled by 1 / (1 − rate); the same mask for the same seed. */
export function dropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  return tf.tidy(() => tf.mul(x, dropoutMask(x.shape, rate, seed)));
}
