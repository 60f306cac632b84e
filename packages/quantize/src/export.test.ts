import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WordPieceTokenizer } from '@distill/core';
import { Encoder, WIDE_TABLE, withTable, withWide, type EncoderConfig } from '@distill/model';
import { exportEncoder, type Flavour } from './export';
import { int8Precision, quantizeSymmetric } from './int8';
import { calibrate, staticPrecision, uint8Params } from './qdq';
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

/** The op types (with domain) of the graph ONNX Runtime runs after its optimisations at level `all`. */
async function optimizedOps(bytes: Uint8Array): Promise<string[]> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ort-opt-')), 'optimized.onnx');
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', optimizedModelFilePath: file });
  await session.release();
  return decodeGraph(fs.readFileSync(file)).graph.node.map((n) => (n.domain ? `${n.domain}:${n.opType}` : n.opType!));
}

// a vocabulary over the model's 40 ids, for calibration through the tokenizer
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律吕调阳云腾致雨露结'.split('')].slice(0, 40);
const TEXTS = Array.from({ length: 24 }, (_, i) => VOCAB.slice(5).filter((_, j) => (i * 7 + j * 3) % 5 < 2).join('').slice(0, 3 + (i % 10)));

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

  it.each(['portable', 'ort'] as Flavour[])('%s flavour: ORT-optimised graph fuses GELU (portable: and residual + LayerNorm) into contrib kernels', async (flavour) => {
    const ops = await optimizedOps(exportEncoder(encoder, { flavour }));
    // ort: residual + LayerNorm stay Sum + LayerNormalization (ORT's SkipLayerNormalization CPU kernel is slower)
    expect(ops.filter((o) => o === 'com.microsoft:SkipLayerNormalization')).toHaveLength(flavour === 'ort' ? 0 : 2 * CONFIG.numLayers);
    expect(ops.filter((o) => o === 'LayerNormalization')).toHaveLength(flavour === 'ort' ? 1 + 2 * CONFIG.numLayers : 1);
    expect(ops.filter((o) => o === 'com.microsoft:BiasGelu')).toHaveLength(CONFIG.numLayers);
    expect(ops).not.toContain('Erf');
    if (flavour === 'ort') expect(ops.filter((o) => o === 'com.microsoft:MultiHeadAttention')).toHaveLength(CONFIG.numLayers);
    else expect(ops).toContain('Softmax');
  });

  it('ort flavour: contrib ops emitted directly, same logits as tfjs within 1e-4', async () => {
    const bytes = exportEncoder(encoder, { flavour: 'ort', labels: ['a', 'b', 'c'] });
    const { model, graph } = decodeGraph(bytes);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17], ['com.microsoft', 1]]);
    const ops = graph.node.map((n) => n.opType);
    expect(ops.filter((o) => o === 'MultiHeadAttention')).toHaveLength(CONFIG.numLayers);
    expect(ops).not.toContain('Softmax');
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

describe('INT8 static (QDQ) quantization', () => {
  const tokenizer = new WordPieceTokenizer(VOCAB);
  const layers = 2 + 6 * CONFIG.numLayers; // per layer Q, K, V, attention output, intermediate, output; pooler; classifier

  it.each(['portable', 'ort'] as Flavour[])('calibrates every dense layer (%s), percentile ranges inside min-max', async (flavour) => {
    const minmax = await calibrate(encoder, tokenizer, TEXTS, flavour, { method: 'minmax', percentile: 100 });
    const pct = await calibrate(encoder, tokenizer, TEXTS, flavour, { method: 'percentile', percentile: 99 });
    expect(minmax.size).toBe(layers);
    expect([...minmax.keys()]).toContain('bert.encoder.layer.1.intermediate.dense');
    for (const [layer, r] of minmax) {
      expect(r.max).toBeGreaterThan(r.min);
      expect(pct.get(layer)!.min).toBeGreaterThanOrEqual(r.min);
      expect(pct.get(layer)!.max).toBeLessThanOrEqual(r.max);
    }
    // the GELU output feeding output.dense is bounded below by GELU's minimum (≈ -0.17)
    expect(minmax.get('bert.encoder.layer.0.output.dense')!.min).toBeGreaterThan(-0.2);
  });

  it('QDQ graph: int8 weights, uint8 activations, close to FP32, and ORT runs integer kernels', async () => {
    const ranges = await calibrate(encoder, tokenizer, TEXTS, 'portable', { method: 'minmax', percentile: 100 });
    const bytes = exportEncoder(encoder, { precision: staticPrecision({ perChannel: true, embeddings: true, exclude: [], ranges }) });
    const ops = decodeGraph(bytes).graph.node.map((n) => n.opType);
    // one activation quantizer per distinct input: Q, K and V share theirs
    expect(ops.filter((o) => o === 'QuantizeLinear')).toHaveLength(layers - 2 * CONFIG.numLayers);
    expect(ops).not.toContain('DynamicQuantizeLinear');
    const p = parity(await ortLogits(bytes), await ortLogits(exportEncoder(encoder)), 3);
    expect(p.max_abs_diff).toBeLessThan(0.1);
    const optimized = await optimizedOps(bytes);
    expect(optimized.some((o) => /QLinearMatMul|MatMulInteger|QGemm|DynamicQuantizeMatMul/.test(o))).toBe(true);
  });

  it.each(['sqrt', 'mean'] as const)('a wide n-gram part (%s pooling): the graph hashes the ids itself; FP32 (both flavours) within 1e-4 of tfjs, INT8 table close', async (pooling) => {
    const wide = withWide(Encoder.create(CONFIG, 12), { buckets: 1000, maxN: 3, pooling });
    const table = wide.params.get(WIDE_TABLE)!;
    table.assign(tf.randomNormal(table.shape, 0, 2, 'float32', 5));
    const ref = tf.tidy(() => {
      const inputs = { inputIds: tf.tensor2d(IDS, [2, 6], 'int32'), attentionMask: tf.tensor2d(MASK, [2, 6], 'int32') };
      return withTable(wide, inputs, wide.forward(inputs).logits!).dataSync() as Float32Array;
    });
    const deepOnly = tfjsLogits();
    expect(Math.max(...Array.from(ref, (x, i) => Math.abs(x - deepOnly[i])))).toBeGreaterThan(0.5); // the table matters
    for (const flavour of ['portable', 'ort'] as Flavour[]) {
      const p = parity(await ortLogits(exportEncoder(wide, { flavour })), ref, 3);
      expect(p.max_abs_diff).toBeLessThan(1e-4);
    }
    const q = parity(await ortLogits(exportEncoder(wide, { flavour: 'ort', precision: int8Precision({ perChannel: true, embeddings: true, exclude: [] }) })), ref, 3);
    expect(q.max_abs_diff).toBeLessThan(0.2);
    wide.dispose();
  });

  it('names a layer without a calibrated range', () => {
    expect(() => exportEncoder(encoder, { precision: staticPrecision({ perChannel: false, embeddings: false, exclude: [], ranges: new Map() }) })).toThrow(/no calibrated activation range for layer 'bert.encoder.layer.0.attention.self.query'/);
  });

  it('uint8 parameters cover the range and represent zero exactly', () => {
    const { scale, zeroPoint } = uint8Params({ min: -1, max: 3 });
    expect(scale).toBeCloseTo(4 / 255, 7);
    expect(zeroPoint).toBe(64);
    expect(uint8Params({ min: 0.5, max: 2 }).zeroPoint).toBe(0); // widened to include 0
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
