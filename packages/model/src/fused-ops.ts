/**
 * GELU and LayerNorm as single kernels with their own gradients, where the backend has them (the wasm backend with the
 * native kernels, native-kernels.ts); elsewhere `encoder.ts` computes them from tfjs ops. Same math either way: the
 * exact erf GELU, and LayerNorm over the last axis with the biased variance (tf.moments).
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_GELU, FUSED_GELU_GRAD, FUSED_LAYER_NORM, FUSED_LAYER_NORM_GRAD } from './native-kernels';

/** Whether the current backend has the fused GELU and LayerNorm kernels. */
export function hasFusedOps(): boolean {
  const backend = tf.getBackend();
  return !!tf.getKernel(FUSED_GELU, backend) && !!tf.getKernel(FUSED_LAYER_NORM, backend);
}

const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) => tf.engine().runKernel(kernel, inputs, attrs);

export const fusedGelu: (x: tf.Tensor) => tf.Tensor = tf.customGrad((x, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor]);
  return {
    value: run(FUSED_GELU, { x: x as tf.Tensor }) as tf.Tensor,
    gradFunc: (dy, saved) => run(FUSED_GELU_GRAD, { x: saved[0], dy: dy as tf.Tensor }) as tf.Tensor,
  };
}) as (x: tf.Tensor) => tf.Tensor;

/** LayerNorm(x) · gamma + beta over the last axis, with its gradient for x, gamma and beta from one kernel. */
export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const f = tf.customGrad((xi, g, b, save) => {
    const [y, mean, rstd] = run(FUSED_LAYER_NORM, { x: xi as tf.Tensor, gamma: g as tf.Tensor, beta: b as tf.Tensor }, { eps }) as tf.Tensor[];
    (save as tf.GradSaveFunc)([xi as tf.Tensor, g as tf.Tensor, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [sx, sg, sm, sr] = saved;
        return run(FUSED_LAYER_NORM_GRAD, { x: sx, gamma: sg, mean: sm, rstd: sr, dy: dy as tf.Tensor }) as tf.Tensor[];
      },
    };
  });
  return (f as unknown as (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor)(x, gamma, beta);
}
