/**
 * INT8 static quantization in QDQ form, with activation ranges calibrated on sample rows.
 *
 * Every dense layer becomes QuantizeLinear → DequantizeLinear on its input (uint8, asymmetric, the scale and zero
 * point fixed from calibration) and DequantizeLinear on its int8 weight (symmetric, per tensor or per output
 * channel), feeding a float MatMul: the standard QDQ form, which ONNX Runtime's optimizer turns into integer kernels.
 * Calibration runs the float32 model with every dense layer's input as an extra output and takes, per layer, the
 * minimum and maximum (`minmax`) or the given percentile of the values at both ends (`percentile`, which ignores
 * outliers that would waste the 256 levels). The word embedding is quantized as in dynamic mode.
 */
import * as ort from 'onnxruntime-node';
import type { WordPieceTokenizer } from '@distill/core';
import type { Encoder } from '@distill/model';
import { encodeFeeds } from '@distill/runtime';
import { exportEncoder, float32Precision, type ExportOptions, type Flavour, type Precision } from './export';
import { excludedBy, int8Precision, quantizeSymmetric, type Int8Options } from './int8';
import { DataType } from './onnx/onnx-proto';

export interface ActivationRange {
  min: number;
  max: number;
}

export interface CalibrationOptions {
  method: 'minmax' | 'percentile';
  /** for `percentile`: the share of values inside the range at each end, e.g. 99.99 */
  percentile: number;
  batchSize?: number;
  /** values kept per layer and batch for the percentile estimate */
  samplesPerBatch?: number;
}

/** uint8 scale and zero point covering [min, max] (always including 0, so zero padding is exact). */
export function uint8Params(r: ActivationRange): { scale: number; zeroPoint: number } {
  const min = Math.min(0, r.min);
  const max = Math.max(0, r.max);
  const scale = max > min ? (max - min) / 255 : 1;
  return { scale, zeroPoint: Math.max(0, Math.min(255, Math.round(-min / scale))) };
}

export function staticPrecision(o: Int8Options & { ranges: ReadonlyMap<string, ActivationRange> }): Precision {
  const excluded = excludedBy(o.exclude);
  const dynamic = int8Precision(o);
  const quantized = new Map<string, string>(); // input value + its parameters → its Q/DQ output (Q, K, V share one)
  return {
    matmul(g, x, name, w, inDim, outDim) {
      if (excluded(name)) return float32Precision.matmul(g, x, name, w, inDim, outDim);
      const range = o.ranges.get(name);
      if (!range) throw new Error(`static INT8: no calibrated activation range for layer '${name}'`);
      const { scale, zeroPoint } = uint8Params(range);
      const key = `${x}|${scale}|${zeroPoint}`;
      if (!quantized.has(key)) {
        const xScale = g.scalar(`${name}.x_scale`, scale);
        const xZero = g.initializer(`${name}.x_zero_point`, DataType.UINT8, [], Uint8Array.of(zeroPoint));
        const xq = g.op('QuantizeLinear', [x, xScale, xZero], {}, `${name}.x_quantized`);
        quantized.set(key, g.op('DequantizeLinear', [xq, xScale, xZero]));
      }
      const xdq = quantized.get(key)!;
      const { q, scales } = quantizeSymmetric(w, outDim, o.perChannel);
      const wq = g.initializer(`${name}.weight_quantized`, DataType.INT8, [inDim, outDim], q);
      const wScale = g.float(`${name}.weight_scale`, o.perChannel ? [outDim] : [], scales);
      const wZero = g.initializer(`${name}.weight_zero_point`, DataType.INT8, o.perChannel ? [outDim] : [], new Int8Array(o.perChannel ? outDim : 1));
      const wdq = g.op('DequantizeLinear', [wq, wScale, wZero], o.perChannel ? { axis: 1 } : {});
      return g.op('MatMul', [xdq, wdq]);
    },
    embedding: dynamic.embedding,
  };
}

/** The value at quantile `q` (0..1) of `values` (sorted in place). */
function quantile(values: Float32Array, q: number): number {
  values.sort();
  const i = Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))));
  return values[i];
}

/**
 * Input range of every dense layer of `encoder`, measured with ONNX Runtime on `texts` (float32 model, `flavour`
 * graph). Layer names are the weight prefixes (e.g. `bert.encoder.layer.0.intermediate.dense`).
 */
export async function calibrate(encoder: Encoder, tokenizer: WordPieceTokenizer, texts: readonly string[], flavour: Flavour, o: CalibrationOptions, prefix?: ExportOptions['prefix']): Promise<Map<string, ActivationRange>> {
  if (!texts.length) throw new Error('calibration needs at least one row');
  const inputs = new Map<string, string>(); // layer → its input value's name
  const recording: Precision = {
    matmul(g, x, name, w, inDim, outDim) {
      inputs.set(name, x);
      return float32Precision.matmul(g, x, name, w, inDim, outDim);
    },
    embedding: float32Precision.embedding,
  };
  const bytes = exportEncoder(encoder, { precision: recording, flavour, prefix, beforeSerialise: (g) => [...new Set(inputs.values())].forEach((x) => g.output(x, DataType.FLOAT)) });
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  const fetches = [...new Set(inputs.values())];
  const extremes = new Map(fetches.map((f) => [f, { min: Infinity, max: -Infinity }]));
  const samples = new Map<string, Float32Array[]>(fetches.map((f) => [f, []]));
  const perBatch = o.samplesPerBatch ?? 65536;
  const batchSize = o.batchSize ?? 32;
  try {
    for (let i = 0; i < texts.length; i += batchSize) {
      const out = await session.run(encodeFeeds(tokenizer, texts.slice(i, i + batchSize), encoder.config.maxPositions), fetches);
      for (const f of fetches) {
        const v = out[f].data as Float32Array;
        if (o.method === 'minmax') {
          const e = extremes.get(f)!;
          for (let j = 0; j < v.length; j++) {
            if (v[j] < e.min) e.min = v[j];
            if (v[j] > e.max) e.max = v[j];
          }
        } else {
          const stride = Math.max(1, Math.ceil(v.length / perBatch));
          const kept = new Float32Array(Math.ceil(v.length / stride));
          for (let j = 0, k = 0; j < v.length; j += stride, k++) kept[k] = v[j];
          samples.get(f)!.push(kept);
        }
      }
    }
  } finally {
    await session.release();
  }
  const rangeOf = (f: string): ActivationRange => {
    if (o.method === 'minmax') return extremes.get(f)!;
    const parts = samples.get(f)!;
    const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    parts.reduce((off, p) => (all.set(p, off), off + p.length), 0);
    const tail = 1 - o.percentile / 100;
    return { min: quantile(all, tail), max: quantile(all, 1 - tail) };
  };
  return new Map([...inputs].map(([layer, x]) => [layer, rangeOf(x)]));
}
