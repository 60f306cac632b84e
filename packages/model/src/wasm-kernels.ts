/**
 * Kernel fixes for the tfjs wasm backend, registered once at start-up (`patchWasmKernels`); the model code is unchanged.
 *
 * 1. `BatchMatMul` with transposeA/transposeB runs ~13x slower on wasm than an explicit `Transpose` followed by a plain
 *    `BatchMatMul`; backprop through matMul always uses the transposed forms. The wrapper transposes first.
 * 2. `UnsortedSegmentSum` (the gradient of `gather`, i.e. of embedding lookups) has no wasm kernel. It is added here as
 *    a plain loop over the heap.
 */
import * as tf from '@tensorflow/tfjs';

type KernelFunc = tf.KernelConfig['kernelFunc'];
// The wasm backend's own methods used below (not part of tfjs-core's public KernelBackend type).
interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: object): boolean;
}

let patched = false;

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

/** Registers the fixes on the wasm backend. Safe to call more than once. */
export function patchWasmKernels(): void {
  if (patched) return;
  const matmul = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!matmul || !transpose) throw new Error('the wasm backend is not loaded: import @tensorflow/tfjs-backend-wasm first');
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...matmul, kernelFunc: batchMatMulWithExplicitTranspose(matmul.kernelFunc, transpose.kernelFunc) });
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumWasm });
  }
  patched = true;
}
