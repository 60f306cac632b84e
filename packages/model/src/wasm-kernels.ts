/**
 * Kernel fixes for the tfjs wasm backend, registered once at start-up (`patchWasmKernels`); the model code is unchanged.
 *
 * 1. `BatchMatMul` with transposeA/transposeB runs ~13x slower on wasm than an explicit `Transpose` followed by a plain
 *    `BatchMatMul`; backprop through matMul always uses the transposed forms. The wrapper transposes first.
 * 2. `UnsortedSegmentSum` (the gradient of `gather`, i.e. of embedding lookups) has no wasm kernel. It is added here as
 *    a plain loop over the heap.
 * 3. When the native kernels were built at install (native-kernels.ts), `BatchMatMul`, `Sum`, `Exp` and `Erf` run them
 *    instead: the matmul handles the transposed forms itself and all of them use every core. Without them, fix 1
 *    applies. A fused AdamW kernel (`DistillAdamW`) is registered too; the optimizer uses it when present.
 * 4. `Identity` shares its input's memory instead of copying it (see `sharedIdentity`).
 */
import * as tf from '@tensorflow/tfjs';
import { DROPOUT_MASK } from './dropout';
import { FUSED_ADAMW, GLOBAL_NORM, nativeDropoutMask, trainsInBf16, nativeGlobalNorm, FUSED_GELU, FUSED_GELU_GRAD, FUSED_LAYER_NORM, FUSED_LAYER_NORM_GRAD, loadNativeKernels, nativeAdamW, nativeBatchMatMul, nativeGather, nativeGelu, nativeLayerNorm, nativeLayerNormGrad, nativeSum, nativeUnary, sharedIdentity, type NativeKernels, type WasmBackend } from './native-kernels';

type KernelFunc = tf.KernelConfig['kernelFunc'];

let matmulKernel = 'wasm (XNNPACK)';
/** The wasm backend's kernels as loaded, before any fix, by name. */
const originals = new Map<string, tf.KernelConfig>();

export function batchMatMulWithExplicitTranspose(original: KernelFunc, transpose: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original({ inputs, backend, attrs });
    const wasm = backend as WasmBackend;
    const temps: tf.TensorInfo[] = [];
    const swapLast = (x: tf.TensorInfo) => {
      const rank = x.shape.length;
      const perm = [...Array(rank).keys()];
      [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
      const t = transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
      temps.push(t);
      return t;
    };
    const a = transposeA ? swapLast(inputs.a as tf.TensorInfo) : (inputs.a as tf.TensorInfo);
    const b = transposeB ? swapLast(inputs.b as tf.TensorInfo) : (inputs.b as tf.TensorInfo);
    const out = original({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    for (const t of temps) wasm.disposeData(t.dataId);
    return out;
  };
}

export const unsortedSegmentSumWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as WasmBackend;
  const x = inputs.x as tf.TensorInfo;
  const segmentIds = inputs.segmentIds as tf.TensorInfo;
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
  const xs = wasm.readSync(x.dataId) as tf.TypedArray;
  const ids = wasm.readSync(segmentIds.dataId) as tf.TypedArray;
  const out = wasm.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
  const acc = wasm.typedArrayFromHeap(out);
  acc.fill(0);
  for (let r = 0; r < rows; r++) {
    const seg = ids[r];
    if (seg < 0 || seg >= numSegments) continue; // as TensorFlow: out-of-range ids are dropped
    const src = r * inner;
    const dst = seg * inner;
    for (let j = 0; j < inner; j++) acc[dst + j] += xs[src + j];
  }
  return out;
};

function register(name: string, kernelFunc: KernelFunc): void {
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...originals.get(name)!, kernelFunc });
}

/**
 * Registers the fixes on the wasm backend, with the native kernels when `native` is given (by default: when they were
 * built). Calling it again re-registers from the wasm backend's own kernels, so tests can compare the two paths.
 */
export function patchWasmKernels(native: NativeKernels | null = loadNativeKernels()): void {
  for (const name of ['BatchMatMul', 'Transpose', 'Identity', 'Sum', 'Exp', 'Erf', 'GatherV2']) {
    if (originals.has(name)) continue;
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new Error('the wasm backend is not loaded: import @tensorflow/tfjs-backend-wasm first');
    originals.set(name, k);
  }
  const wasm = (name: string) => originals.get(name)!.kernelFunc;
  const wasmMatMul = batchMatMulWithExplicitTranspose(wasm('BatchMatMul'), wasm('Transpose'));
  register('BatchMatMul', native ? nativeBatchMatMul(native, wasmMatMul) : wasmMatMul);
  register('Identity', sharedIdentity(wasm('Identity')));
  register('Sum', native ? nativeSum(native, wasm('Sum')) : wasm('Sum'));
  register('Exp', native ? nativeUnary((x, out) => native.exp(x, out), wasm('Exp')) : wasm('Exp'));
  register('Erf', native ? nativeUnary((x, out) => native.erf(x, out), wasm('Erf')) : wasm('Erf'));
  register('GatherV2', native ? nativeGather(native, wasm('GatherV2')) : wasm('GatherV2'));
  const fused: [string, (lib: NativeKernels) => KernelFunc][] = [
    [FUSED_ADAMW, nativeAdamW],
    [GLOBAL_NORM, nativeGlobalNorm],
    [FUSED_GELU, (lib) => nativeGelu(lib, false)],
    [FUSED_GELU_GRAD, (lib) => nativeGelu(lib, true)],
    [FUSED_LAYER_NORM, nativeLayerNorm],
    [FUSED_LAYER_NORM_GRAD, nativeLayerNormGrad],
    [DROPOUT_MASK, nativeDropoutMask],
  ];
  for (const [name, make] of fused) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    if (native) tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(native) });
  }
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumWasm });
  }
  if (native) {
    const { simd, threads } = native.info();
    matmulKernel = `native (${simd}, ${threads} thread${threads > 1 ? 's' : ''}${trainsInBf16() ? ', bf16 training' : ''})`;
  } else {
    matmulKernel = 'wasm (XNNPACK)';
  }
}

/** Which matrix multiply the wasm backend runs, for reports: 'native (avx512, 2 threads)' or 'wasm (XNNPACK)'. */
export function wasmMatMulKernel(): string {
  return matmulKernel;
}
