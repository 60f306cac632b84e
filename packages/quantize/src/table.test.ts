import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { Encoder, WIDE_TABLE, tableLogits, withWide, type EncoderConfig } from '@distill/model';
import { exportEncoder } from './export';
import { int8Precision } from './int8';
import { chooseTableRows, compressTable, compressedTableBytes, expandTable, tableCandidates, tableLogitsOf, textNgrams } from './table';

const CONFIG: EncoderConfig = {
  vocabSize: 40, hiddenSize: 16, numLayers: 1, numHeads: 4, intermediateSize: 32, maxPositions: 16,
  typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 3, hiddenDropout: 0.1, attentionDropout: 0.1, initializerRange: 0.2, mlmHead: false,
};
const TEXTS = [[2, 7, 9, 11, 30, 3], [2, 5, 3], [2, 8, 8, 8, 12, 14, 3]];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('compressTable', () => {
  const table = Float32Array.from([0, 0, 0, 1, -2, 0.5, 0.01, 0, 0, 0, 0, 0, -0.3, 0.2, 0.1]); // 5 buckets × 3 labels

  it('keeps the rows with the largest |weight|, each int8 with its own scale; the rest map to the zero row', () => {
    const c = compressTable(table, 3, 2);
    expect(c.kept).toBe(2);
    expect(c.map).toBeInstanceOf(Uint16Array);
    expect(Array.from(c.map, (r) => r > 0)).toEqual([false, true, false, false, true]); // buckets 1 and 4, not the 0.01 row
    const dense = expandTable(c);
    for (const b of [1, 4]) {
      const scale = c.scales[c.map[b]];
      for (let j = 0; j < 3; j++) expect(Math.abs(dense[b * 3 + j] - table[b * 3 + j])).toBeLessThanOrEqual(scale / 2 + 1e-7);
    }
    expect(Array.from(dense.subarray(6, 9))).toEqual([0, 0, 0]);
    expect(compressedTableBytes(c)).toBe(5 * 2 + 3 * 3 + 3 * 4);
  });

  it('never keeps an all-zero row, and switches to an int32 map past 65,535 rows', () => {
    expect(compressTable(table, 3, 100).kept).toBe(3);
    const big = new Float32Array(70000).fill(1);
    const c = compressTable(big, 1, 70000);
    expect(c.kept).toBe(70000);
    expect(c.map).toBeInstanceOf(Int32Array);
    expect(c.map[69999]).toBe(70000);
  });

  it('tries 2^k − 1 rows below the used count, then every used row', () => {
    expect(tableCandidates(20000)).toEqual([4095, 8191, 16383, 20000]);
    expect(tableCandidates(100)).toEqual([100]);
  });
});

describe('chooseTableRows', () => {
  // 10,000 texts, each with one n-gram of its own bucket; only that bucket's row (label 1, weight falling with the
  // bucket) makes the text right, so keeping n rows gets n of 10,000 right
  const rows = 10000;
  const table = new Float32Array(rows * 2);
  for (let b = 0; b < rows; b++) table[b * 2 + 1] = 1 + (rows - b) / rows;
  const ngrams = Array.from({ length: rows }, (_, b) => ({ ids: Int32Array.of(b), weights: Float32Array.of(1) }));
  const gold = new Array<number>(rows).fill(1);
  const encoderLogits = new Float32Array(rows * 2);

  it('picks the smallest row count within the allowed drop on valid', () => {
    const loose = chooseTableRows(table, 2, ngrams, encoderLogits, gold, 60);
    expect(loose.full_valid_accuracy).toBe(1);
    expect(loose.candidates.map((c) => [c.kept, c.valid_accuracy])).toEqual([[4095, 0.4095], [8191, 0.8191], [10000, 1]]);
    expect(loose.chosen.kept).toBe(4095);
    expect(chooseTableRows(table, 2, ngrams, encoderLogits, gold, 10).chosen.kept).toBe(10000);
  });
});

describe('compressed table in the ONNX graph', () => {
  it('the graph computes the compressed table exactly as tableLogitsOf does, with a uint16 row map', async () => {
    const model = withWide(Encoder.create(CONFIG, 3), { buckets: 500, maxN: 3, pooling: 'sqrt' });
    const t = model.params.get(WIDE_TABLE)!;
    // half the buckets unused (zero), the rest random
    t.assign(tf.tidy(() => tf.randomNormal(t.shape, 0, 1, 'float32', 9).mul(tf.randomUniform([t.shape[0], 1], 0, 1, 'float32', 4).greater(0.5).toFloat())));
    const full = t.dataSync() as Float32Array;
    const ngrams = textNgrams(TEXTS, { buckets: 500, maxN: 3, pooling: 'sqrt' });
    // textNgrams agrees with the model's own table head
    for (const [i, ids] of TEXTS.entries()) {
      const ref = tf.tidy(() => tableLogits(model, { inputIds: tf.tensor2d([ids], [1, ids.length], 'int32'), attentionMask: tf.ones([1, ids.length], 'int32') as tf.Tensor2D }).dataSync());
      const mine = tableLogitsOf([ngrams[i]], full, 3);
      ref.forEach((x, j) => expect(mine[j]).toBeCloseTo(x, 5));
    }
    const c = compressTable(full, 3, 60);
    const bytes = exportEncoder(model, { table: c, precision: int8Precision({ perChannel: false, embeddings: true, exclude: [] }) });
    const initializers = onnx.ModelProto.decode(bytes).graph!.initializer ?? [];
    expect(initializers.find((i) => i.name === `${WIDE_TABLE}_row_map`)?.dataType).toBe(onnx.TensorProto.DataType.UINT16);
    expect(initializers.find((i) => i.name === `${WIDE_TABLE}_quantized`)?.dims?.map(Number)).toEqual([61, 3]); // 60 rows + the zero row
    expect(initializers.some((i) => i.name === WIDE_TABLE)).toBe(false);
    const session = await ort.InferenceSession.create(bytes);
    const want = tableLogitsOf(ngrams, expandTable(c), 3);
    const dense = tableLogitsOf(ngrams, full, 3);
    let moved = 0;
    for (const [i, ids] of TEXTS.entries()) {
      const feed = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
      const out = await session.run({ input_ids: feed(ids), attention_mask: feed(ids.map(() => 1)) });
      const got = out.table_logits.data as Float32Array;
      for (let j = 0; j < 3; j++) {
        expect(got[j]).toBeCloseTo(want[i * 3 + j], 5);
        moved = Math.max(moved, Math.abs(want[i * 3 + j] - dense[i * 3 + j]));
      }
    }
    expect(moved).toBeGreaterThan(1e-3); // dropping rows changed the logits: the test sees the compressed table
    await session.release();
    model.dispose();
  });
});
