import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { Encoder, type EncoderConfig } from '@distill/model';
import { exportEncoder } from './export';
import { int8Precision, quantizeSymmetric } from './int8';
import { parity } from './evaluate';

const CONFIG: EncoderConfig = {
  vocabSize: 40, hiddenSize: 16, numLayers: 2, numHeads: 4, intermediateSize: 32, maxPositions: 16,
  typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 3, hiddenDropout: 0.1, attentionDropout: 0.1, initializerRange: 0.2, mlmHead: false,
};
const IDS = [[2, 7, 9, 11, 30, 3], [2, 5, 3, 0, 0, 0]];
const MASK = [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]];

let encoder: Encoder;
beforeAll(async () => {
  await tf.setBackend('cpu');
  encoder = Encoder.create(CONFIG, 11);
});
afterAll(() => encoder.dispose());

function tfjsLogits(): Float32Array {
  return tf.tidy(() => encoder.forward({ inputIds: tf.tensor2d(IDS, [2, 6], 'int32'), attentionMask: tf.tensor2d(MASK, [2, 6], 'int32') }).logits!.dataSync() as Float32Array);
}

async function ortLogits(bytes: Uint8Array, level: 'disabled' | 'all' = 'all'): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level });
  const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [2, 6]);
  const out = await session.run({ input_ids: i64(IDS), attention_mask: i64(MASK) });
  await session.release();
  return out.logits.data as Float32Array;
}

/** Decodes with the standard schema (onnx-proto), not the one the exporter uses. */
function decodeGraph(bytes: Uint8Array): { model: onnx.ModelProto; graph: onnx.GraphProto } {
  const model = onnx.ModelProto.decode(bytes);
  return { model, graph: model.graph as onnx.GraphProto };
}

describe('ONNX export', () => {
  it('matches the tfjs model within 1e-4, with and without ORT graph optimisation', async () => {
    const bytes = exportEncoder(encoder, { labels: ['a', 'b', 'c'] });
    const ref = tfjsLogits();
    for (const level of ['disabled', 'all'] as const) {
      const p = parity(await ortLogits(bytes, level), ref, 3);
      expect(p.max_abs_diff).toBeLessThan(1e-4);
      expect(p.argmax_agreement).toBe(1);
    }
  });

  it('decodes with the standard ONNX protobuf schema: opset, inputs, outputs, initializers', () => {
    const { model, graph } = decodeGraph(exportEncoder(encoder, { labels: ['a', 'b', 'c'] }));
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(graph.input.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);
    expect(graph.input[0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam)).toEqual(['batch', 'sequence']);
    expect(graph.output.map((o) => o.name)).toEqual(['logits']);
    // word, position(+type), embedding LN (2), per layer: 4 dense (8) + 2 LN (4) + 2 FFN dense (4), pooler (2), classifier (2), small constants
    const weights = graph.initializer.filter((t) => t.dims!.length === 2);
    expect(weights).toHaveLength(2 + CONFIG.numLayers * 6 + 2);
    expect(model.metadataProps.find((p) => p.key === 'labels')!.value).toBe('["a","b","c"]');
  });

  it('INT8 dynamic quantization: MatMulInteger graph, smaller, close to FP32', async () => {
    const fp32 = exportEncoder(encoder);
    const int8 = exportEncoder(encoder, { precision: int8Precision({ perChannel: false, embeddings: true, exclude: [] }) });
    const ops = decodeGraph(int8).graph.node.map((n) => n.opType);
    expect(ops).toContain('DynamicQuantizeLinear');
    expect(ops).toContain('MatMulInteger');
    expect(ops).toContain('DequantizeLinear');
    // weights only: at this toy size node names outweigh them in the file; the pipeline reports real file sizes
    const weightBytes = (b: Uint8Array) => decodeGraph(b).graph.initializer.reduce((a, t) => a + (t.rawData?.length ?? 0), 0);
    expect(weightBytes(int8)).toBeLessThan(0.4 * weightBytes(fp32));
    const p = parity(await ortLogits(int8), await ortLogits(fp32), 3);
    expect(p.max_abs_diff).toBeLessThan(0.1);
  });

  it('keeps excluded layers in float32', () => {
    const int8 = exportEncoder(encoder, { precision: int8Precision({ perChannel: true, embeddings: false, exclude: ['classifier', 'bert.encoder.layer.0.'] }) });
    const names = decodeGraph(int8).graph.initializer.map((t) => t.name);
    expect(names).toContain('classifier.weight');
    expect(names).toContain('bert.encoder.layer.0.attention.self.query.weight');
    expect(names).toContain('bert.encoder.layer.1.attention.self.query.weight_quantized');
    expect(names).toContain('bert.embeddings.word_embeddings.weight');
  });
});

describe('quantizeSymmetric', () => {
  it('maps the largest magnitude to ±127 and reconstructs within half a step', () => {
    const w = Float32Array.from([0.5, -1, 0.25, 2, -0.1, 0]);
    const { q, scales } = quantizeSymmetric(w, 3, false);
    expect(Math.max(...Array.from(q, Math.abs))).toBe(127);
    w.forEach((x, i) => expect(Math.abs(q[i] * scales[0] - x)).toBeLessThanOrEqual(scales[0] / 2 + 1e-7));
    const perCol = quantizeSymmetric(w, 3, true);
    expect(perCol.scales).toHaveLength(3);
  });
});
