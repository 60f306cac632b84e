/**
 * INT8 dynamic quantization, applied while exporting: every dense weight becomes int8 (symmetric, per tensor or per
 * output channel) and runs as DynamicQuantizeLinear → MatMulInteger → Cast → Mul (activations quantized at run time;
 * ONNX Runtime fuses the chain into one DynamicQuantizeMatMul, or MatMulIntegerToFloat); the word-embedding table
 * becomes int8 with a DequantizeLinear after the Gather. Layers named in `exclude` (prefix match) stay float32.
 */
import type { Precision } from './export';
import { float32Precision } from './export';
import { DataType } from './onnx/onnx-proto';

export interface Int8Options {
  perChannel: boolean;
  embeddings: boolean;
  /** weight-name prefixes kept in float32 */
  exclude: readonly string[];
}

/** Symmetric int8 quantization of a row-major matrix with `cols` columns; one scale, or one per column. */
export function quantizeSymmetric(w: Float32Array, cols: number, perColumn: boolean): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(perColumn ? cols : 1);
  for (let i = 0; i < w.length; i++) {
    const s = perColumn ? i % cols : 0;
    scales[s] = Math.max(scales[s], Math.abs(w[i]));
  }
  for (let s = 0; s < scales.length; s++) scales[s] = scales[s] > 0 ? scales[s] / 127 : 1;
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i] / scales[perColumn ? i % cols : 0])));
  return { q, scales };
}

export function int8Precision(o: Int8Options): Precision {
  const excluded = excludedBy(o.exclude);
  return {
    matmul(g, x, name, w, inDim, outDim) {
      if (excluded(name)) return float32Precision.matmul(g, x, name, w, inDim, outDim);
      const { q, scales } = quantizeSymmetric(w, outDim, o.perChannel);
      const [xq, xScale, xZero] = g.node('DynamicQuantizeLinear', [x], [`${name}.x_q`, `${name}.x_scale`, `${name}.x_zero_point`]);
      const wq = g.initializer(`${name}.weight_quantized`, DataType.INT8, [inDim, outDim], q);
      const wZero = g.initializer(`${name}.weight_zero_point`, DataType.INT8, o.perChannel ? [outDim] : [], new Int8Array(o.perChannel ? outDim : 1));
      const acc = g.op('MatMulInteger', [xq, wq, xZero, wZero]);
      const wScale = g.float(`${name}.weight_scale`, o.perChannel ? [outDim] : [], scales);
      return g.op('Mul', [g.op('Cast', [acc], { to: DataType.FLOAT }), g.op('Mul', [xScale, wScale])]);
    },
    embedding(g, ids, name, table, rows, dim) {
      if (!o.embeddings || excluded(name)) return float32Precision.embedding(g, ids, name, table, rows, dim);
      const { q, scales } = quantizeSymmetric(table, dim, false);
      const gathered = g.op('Gather', [g.initializer(`${name}_quantized`, DataType.INT8, [rows, dim], q), ids], { axis: 0 });
      return g.op('DequantizeLinear', [gathered, g.float(`${name}_scale`, [], scales), g.initializer(`${name}_zero_point`, DataType.INT8, [], new Int8Array(1))]);
    },
  };
}

/** Names kept in float32: prefix match against `exclude`. */
export function excludedBy(exclude: readonly string[]): (name: string) => boolean {
  return (name) => exclude.some((prefix) => name.startsWith(prefix));
}
