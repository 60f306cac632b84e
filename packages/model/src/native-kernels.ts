/**
 * Native kernels (native/kernels.c, built at install by native/build.js) registered on the tfjs wasm backend:
 * BatchMatMul, Sum, Exp and Erf, and fused kernels of their own: AdamW, GELU and LayerNorm (each with its gradient;
 * fused-ops.ts). The wasm backend keeps every tensor in the WebAssembly heap; each kernel hands the
 * native code Float32Array views of that heap and it writes its output in place (no copies). The matmul handles
 * transposeA/transposeB itself and every kernel uses all cores.
 *
 * When the library is missing (no compiler at install) or DISTILL_NATIVE=0, `loadNativeKernels()` returns null and the
 * wasm backend keeps its own kernels. Each kernel also falls back to the wasm one for the cases it does not cover
 * (non-float32 tensors, broadcasts or axis sets the native code does not do).
 *
 * DISTILL_NATIVE_THREADS sets the thread count (default: the number of CPUs Node reports). DISTILL_MATMUL=bf16 makes
 * the matmul round its inputs to bfloat16 and accumulate in float32 (VDPBF16PS: twice the multiply-adds per
 * instruction) in training steps (`withTrainingPrecision`), on CPUs with AVX-512 BF16 only; `auto` does so where the
 * CPU has it and stays float32 elsewhere; the backend description then says `bf16 training`. Evaluation, written
 * logits and exports stay float32. A pipeline's `matmul` key sets it for its stages.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DropoutMaskAttrs } from './dropout';

export interface NativeKernels {
  /** c[batch, m, n] = op(a)[batchA, m, k] · op(b)[batchB, k, n]; a batch count of 1 broadcasts. */
  gemm(a: Float32Array, b: Float32Array, c: Float32Array, batchA: number, batchB: number, m: number, n: number, k: number, transA: number, transB: number): void;
  /** out[o, i] = Σ_r x[o, r, i] */
  sum(x: Float32Array, out: Float32Array, outer: number, red: number, inner: number): void;
  exp(x: Float32Array, out: Float32Array): void;
  erf(x: Float32Array, out: Float32Array): void;
  /** one AdamW step; hyper = [lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale] (see optimizer.ts) */
  adamw(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, pOut: Float32Array, mOut: Float32Array, vOut: Float32Array, hyper: Float32Array): void;
  setThreads(n: number): void;
  /** Σ x² */
  sumSquares(x: Float32Array): number;
  /** out[i] = x[indices[i]], rows of rowSize floats; returns the position of the first index out of range, or -1 */
  gatherRows(x: Float32Array, indices: Int32Array, out: Float32Array, rowSize: number): number;
  /** gelu(x, out): the exact GELU; gelu(x, dy, dx): its gradient times dy */
  gelu(x: Float32Array, a: Float32Array, b?: Float32Array): void;
  /** LayerNorm over rows of h: y, and each row's mean and 1/std */
  layerNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, rstd: Float32Array, h: number, eps: number): void;
  layerNormGrad(x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array, dy: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, h: number): void;
  /** a dropout mask (dropout.ts): out[i] = scale where the hash of i under `key` reaches `threshold`, else 0 */
  dropoutMask(out: Float32Array, key: number, threshold: number, scale: number): void;
  /** 1: BF16 matmul inputs, float32 accumulation; 0: float32. Returns whether BF16 is now in use. */
  setPrecision(bf16: number): boolean;
  info(): { simd: string; threads: number; mr: number; bf16Supported: boolean; bf16: boolean };
}

export const NATIVE_KERNELS_PATH = path.join(__dirname, '..', 'native', 'build', 'distill_kernels.node');

let cached: NativeKernels | null | undefined;

export function loadNativeKernels(): NativeKernels | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.env.DISTILL_NATIVE === '0') return cached;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lib = require(NATIVE_KERNELS_PATH) as NativeKernels;
    const threads = Number(process.env.DISTILL_NATIVE_THREADS || os.availableParallelism());
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new Error(`DISTILL_NATIVE_THREADS must be an integer from 1 to 64, got '${process.env.DISTILL_NATIVE_THREADS}'`);
    lib.setThreads(threads);
    const precision = process.env.DISTILL_MATMUL ?? 'fp32';
    if (precision !== 'fp32' && precision !== 'bf16' && precision !== 'auto') throw new Error(`DISTILL_MATMUL must be fp32, bf16 or auto, got '${precision}'`);
    if (precision === 'bf16' && !lib.info().bf16Supported) throw new Error('DISTILL_MATMUL=bf16: this CPU (or this build of the native kernels) has no AVX-512 BF16; unset DISTILL_MATMUL');
    lib.setPrecision(0);
    trainingBf16 = precision === 'bf16' || (precision === 'auto' && lib.info().bf16Supported);
    cached = lib;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
  }
  return cached;
}

/**
 * Whether training steps run the matmul on BF16 inputs (DISTILL_MATMUL). Only the steps do: evaluation, the logits a
 * stage writes (what the quantize stage checks its ONNX export against) and every other use stay float32.
 */
let trainingBf16 = false;

export function trainsInBf16(): boolean {
  return trainingBf16 && !!cached;
}

/** For tests: BF16 training steps on or off (on needs a CPU with AVX-512 BF16). */
export function setTrainingBf16(on: boolean): void {
  if (on && !cached?.info().bf16Supported) throw new Error('BF16 training steps need the native kernels on a CPU with AVX-512 BF16');
  trainingBf16 = on;
}

/** Runs one training step's computation (forward and backward) with the training matmul precision, then float32 again. */
export function withTrainingPrecision<T>(step: () => T): T {
  if (!trainsInBf16() || tf.getBackend() !== 'wasm') return step();
  cached!.setPrecision(1);
  try {
    return step();
  } finally {
    cached!.setPrecision(0);
  }
}

/** The wasm backend's own methods the kernels use (not part of tfjs-core's public KernelBackend type). */
export interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
  incRef(dataId: object): void;
  disposeData(dataId: object): boolean;
}

type KernelFunc = tf.KernelConfig['kernelFunc'];
const f32 = (backend: WasmBackend, t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** BatchMatMul with tfjs's shapes and broadcasting (equal batch dims, or a batch of 1 on one side). */
export function nativeBatchMatMul(lib: NativeKernels, fallback: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = size(outerA);
    const batchB = size(outerB);
    const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !(sameOuter || batchA === 1 || batchB === 1)) return fallback({ inputs, backend, attrs });
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (k !== kb) throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
    const wasm = backend as WasmBackend;
    const out = wasm.makeOutput([...outer, m, n], 'float32');
    // Views taken after makeOutput: allocating may grow (and so replace) the heap's buffer.
    lib.gemm(f32(wasm, a), f32(wasm, b), f32(wasm, out), batchA, batchB, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0);
    return out;
  };
}

/** Sum over a contiguous run of axes (bias gradients: the leading axes; LayerNorm statistics: the last). */
export function nativeSum(lib: NativeKernels, fallback: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const contiguous = axes.length > 0 && axes.every((ax, i) => ax === axes[0] + i);
    if (x.dtype !== 'float32' || !contiguous) return fallback({ inputs, backend, attrs });
    const first = axes[0];
    const last = axes[axes.length - 1];
    const outer = size(x.shape.slice(0, first));
    const red = size(x.shape.slice(first, last + 1));
    const inner = size(x.shape.slice(last + 1));
    const shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const wasm = backend as WasmBackend;
    const out = wasm.makeOutput(shape, 'float32');
    lib.sum(f32(wasm, x), f32(wasm, out), outer, red, inner);
    return out;
  };
}

export function nativeUnary(op: (x: Float32Array, out: Float32Array) => void, fallback: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype !== 'float32') return fallback({ inputs, backend, attrs });
    const wasm = backend as WasmBackend;
    const out = wasm.makeOutput(x.shape, 'float32');
    op(f32(wasm, x), f32(wasm, out));
    return out;
  };
}

/**
 * Identity that shares the input's memory (as the cpu backend's does, and as wasm's own Reshape does) instead of
 * copying it: tensor data is immutable, and `Variable.assign` swaps in a new buffer rather than writing in place.
 * tfjs calls Identity for every `clone` and for many gradients, so the copies added up to ~5% of a training step.
 */
export function sharedIdentity(fallback: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return fallback({ inputs, backend, attrs });
    (backend as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** GatherV2 along axis 0 of float32 rows (embedding lookups); other gathers go to the wasm kernel. */
export function nativeGather(lib: NativeKernels, fallback: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const indices = inputs.indices as tf.TensorInfo;
    const { axis, batchDims } = attrs as { axis: number; batchDims: number };
    if (x.dtype !== 'float32' || indices.dtype !== 'int32' || batchDims !== 0 || tf.util.parseAxisParam(axis, x.shape)[0] !== 0) return fallback({ inputs, backend, attrs });
    const wasm = backend as WasmBackend;
    const rowSize = size(x.shape.slice(1));
    const out = wasm.makeOutput([...indices.shape, ...x.shape.slice(1)], 'float32');
    const bad = lib.gatherRows(f32(wasm, x), wasm.typedArrayFromHeap(indices) as Int32Array, f32(wasm, out), rowSize);
    if (bad >= 0) {
      wasm.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${(wasm.typedArrayFromHeap(indices) as Int32Array)[bad]} is not in [0, ${x.shape[0] - 1}]`);
    }
    return out;
  };
}

/** Names of the fused GELU and LayerNorm kernels (forward and gradient; fused-ops.ts uses them when registered). */
export const FUSED_GELU = 'DistillGelu';
export const FUSED_GELU_GRAD = 'DistillGeluGrad';
export const FUSED_LAYER_NORM = 'DistillLayerNorm';
export const FUSED_LAYER_NORM_GRAD = 'DistillLayerNormGrad';

/** The fused GELU kernels: inputs x → GELU(x); inputs x, dy → dy · GELU'(x). */
export function nativeGelu(lib: NativeKernels, grad: boolean): KernelFunc {
  return ({ inputs, backend }) => {
    const wasm = backend as WasmBackend;
    const x = inputs.x as tf.TensorInfo;
    const out = wasm.makeOutput(x.shape, 'float32');
    if (grad) lib.gelu(f32(wasm, x), f32(wasm, inputs.dy as tf.TensorInfo), f32(wasm, out));
    else lib.gelu(f32(wasm, x), f32(wasm, out));
    return out;
  };
}

/** LayerNorm over the last axis: inputs x, gamma, beta (attr eps) → [y, mean, rstd] (one per row). */
export function nativeLayerNorm(lib: NativeKernels): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const wasm = backend as WasmBackend;
    const [x, gamma, beta] = (['x', 'gamma', 'beta'] as const).map((k) => inputs[k] as tf.TensorInfo);
    const h = x.shape[x.shape.length - 1];
    const rows = size(x.shape) / h;
    const outs = [wasm.makeOutput(x.shape, 'float32'), wasm.makeOutput([rows], 'float32'), wasm.makeOutput([rows], 'float32')];
    const v = [x, gamma, beta, ...outs].map((t) => f32(wasm, t));
    lib.layerNorm(v[0], v[1], v[2], v[3], v[4], v[5], h, (attrs as { eps: number }).eps);
    return outs;
  };
}

/** Its gradient: inputs x, gamma, mean, rstd, dy → [dx, dgamma, dbeta]. */
export function nativeLayerNormGrad(lib: NativeKernels): KernelFunc {
  return ({ inputs, backend }) => {
    const wasm = backend as WasmBackend;
    const [x, gamma, mean, rstd, dy] = (['x', 'gamma', 'mean', 'rstd', 'dy'] as const).map((k) => inputs[k] as tf.TensorInfo);
    const h = x.shape[x.shape.length - 1];
    const outs = [wasm.makeOutput(x.shape, 'float32'), wasm.makeOutput([h], 'float32'), wasm.makeOutput([h], 'float32')];
    const v = [x, gamma, mean, rstd, dy, ...outs].map((t) => f32(wasm, t));
    lib.layerNormGrad(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], h);
    return outs;
  };
}

/** The dropout mask kernel (dropout.ts `DROPOUT_MASK`): no inputs; attrs shape, key, threshold, scale. */
export function nativeDropoutMask(lib: NativeKernels): KernelFunc {
  return ({ backend, attrs }) => {
    const wasm = backend as WasmBackend;
    const a = attrs as unknown as DropoutMaskAttrs;
    const out = wasm.makeOutput(a.shape, 'float32');
    lib.dropoutMask(f32(wasm, out), a.key, a.threshold, a.scale);
    return out;
  };
}

/** Name of the global-norm kernel: inputs 0..n-1 (every gradient) → a scalar, √(Σ Σ g²) (optimizer.ts clips by it). */
export const GLOBAL_NORM = 'DistillGlobalNorm';

export function nativeGlobalNorm(lib: NativeKernels): KernelFunc {
  return ({ inputs, backend }) => {
    const wasm = backend as WasmBackend;
    let total = 0;
    for (const t of Object.values(inputs) as tf.TensorInfo[]) total += lib.sumSquares(f32(wasm, t));
    const out = wasm.makeOutput([], 'float32');
    f32(wasm, out)[0] = Math.sqrt(total);
    return out;
  };
}

/** Name of the fused AdamW kernel (registered on wasm with the native kernels; optimizer.ts uses it when present). */
export const FUSED_ADAMW = 'DistillAdamW';

export interface FusedAdamWAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  bc1: number;
  bc2: number;
  gradScale: number;
}

/** Inputs p, g, m, v → outputs [p', m', v'], new buffers (tensors are immutable; the optimizer assigns them). */
export function nativeAdamW(lib: NativeKernels): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const wasm = backend as WasmBackend;
    const [p, g, m, v] = (['p', 'g', 'm', 'v'] as const).map((k) => inputs[k] as tf.TensorInfo);
    const a = attrs as unknown as FusedAdamWAttrs;
    const outs = [p, m, v].map((t) => wasm.makeOutput(t.shape, 'float32'));
    const views = [p, g, m, v, ...outs].map((t) => f32(wasm, t));
    lib.adamw(views[0], views[1], views[2], views[3], views[4], views[5], views[6], Float32Array.of(a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.bc1, a.bc2, a.gradScale));
    return outs;
  };
}
