import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { Encoder, WIDE_TABLE, tableLogits, withWide, type EncoderConfig } from '@distill/model';
import { exportEncoder } from './export';
import { int8Precision } from './int8';
import { MAP_BLOCK, chooseTableRows, compressTable, compressedTableBytes, expandTable, fromFloat16, quantizeRow, rowOf, tableCandidates, tableLogitsOf, textNgrams, toFloat16 } from './table';

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

  it('keeps the rows with the largest |weight|, each int8 with its own float16 scale; the rest map to a zero row', () => {
    const c = compressTable(table, 3, 2);
    expect(c.kept).toBe(2);
    expect(c.bits).toBe(8);
    expect(Array.from(c.map, (r) => r > 0)).toEqual([false, true, false, false, true]); // buckets 1 and 4, not the 0.01 row
    const dense = expandTable(c);
    for (const b of [1, 4]) {
      const scale = fromFloat16(c.scales[rowOf(c, b)]);
      for (let j = 0; j < 3; j++) expect(Math.abs(dense[b * 3 + j] - table[b * 3 + j])).toBeLessThanOrEqual(scale / 2 + 1e-7);
    }
    expect(Array.from(dense.subarray(6, 9))).toEqual([0, 0, 0]);
    // uint16 map, one block start (int64), 2 rows + the zero row, float16 scales
    expect(compressedTableBytes(c)).toBe(5 * 2 + 8 + 3 * 3 + 3 * 2);
    // the byte count is what the arrays hold, at either width
    for (const x of [c, compressTable(table, 3, 2, undefined, 4)]) expect(compressedTableBytes(x)).toBe(x.map.byteLength + 8 * x.blockStart.length + x.rows.byteLength + x.scales.byteLength);
  });

  it('never keeps an all-zero row; past one block of buckets, each block numbers its rows from its own zero row', () => {
    expect(compressTable(table, 3, 100).kept).toBe(3);
    const big = new Float32Array(70000).fill(1);
    const c = compressTable(big, 1, 70000);
    expect(c.kept).toBe(70000);
    expect(c.map).toBeInstanceOf(Uint16Array);
    expect(Array.from(c.blockStart)).toEqual([0, MAP_BLOCK + 1, 2 * MAP_BLOCK + 2]);
    expect(c.map[MAP_BLOCK - 1]).toBe(MAP_BLOCK);
    expect(c.map[MAP_BLOCK]).toBe(1);
    expect(rowOf(c, 69999)).toBe(69999 + 3);
    const dense = expandTable(c);
    expect(dense.every((x) => Math.abs(x - 1) < 1e-3)).toBe(true); // 127 × the float16 of 1/127
  });

  it('packs 4-bit rows two values a byte, and decodes them to the quantized values × scale', () => {
    const w = Float32Array.from([0.7, -0.35, 0.1, 0, 0.42, -0.7, 0.05]); // 7 labels: 4 bytes, the last high nibble unused
    const c = compressTable(w, 7, 1, undefined, 4);
    expect(c.rows).toBeInstanceOf(Uint8Array);
    expect(c.rows.length).toBe(2 * 4); // the zero row and one row
    const { scale, q } = quantizeRow(w, 4);
    expect(fromFloat16(c.scales[1])).toBe(scale);
    expect(Array.from(expandTable(c))).toEqual(Array.from(q, (x) => x * scale));
    expect(Math.max(...Array.from(q, Math.abs))).toBeLessThanOrEqual(7);
  });

  it('clips a 4-bit row when that lowers its squared error', () => {
    const w = Float32Array.from([1, ...new Array(14).fill(0.21)]); // one large weight, the rest between two steps of 1/7
    const err = (scale: number, q: Int8Array) => Array.from(w).reduce((e, x, j) => e + (x - q[j] * scale) ** 2, 0);
    const plainScale = fromFloat16(toFloat16(1 / 7));
    const plain = err(plainScale, Int8Array.from(w, (x) => Math.round(x / plainScale)));
    const { scale, q } = quantizeRow(w, 4);
    expect(scale).toBeLessThan(plainScale);
    expect(err(scale, q)).toBeLessThan(plain);
  });

  it('converts float16 with rounding to nearest', () => {
    expect(toFloat16(1)).toBe(0x3c00);
    expect(toFloat16(-2)).toBe(0xc000);
    expect(toFloat16(65504)).toBe(0x7bff);
    expect(toFloat16(1e6)).toBe(0x7c00);
    expect(fromFloat16(toFloat16(0.1))).toBe(0.0999755859375);
    expect(fromFloat16(toFloat16(2 ** -20))).toBe(2 ** -20); // subnormal
    for (const x of [3.14159, -0.0123, 1234.5, 6e-5]) expect(Math.abs(fromFloat16(toFloat16(x)) - x) / Math.abs(x)).toBeLessThanOrEqual(2 ** -11);
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

  it('weighs 4-bit against 8-bit rows by bytes: here 4 bits lose nothing, so they win at every row count', () => {
    const both = chooseTableRows(table, 2, ngrams, encoderLogits, gold, 60, undefined, undefined, [8, 4]);
    expect(both.candidates.map((c) => [c.bits, c.kept, c.valid_accuracy])).toEqual([[8, 4095, 0.4095], [8, 8191, 0.8191], [8, 10000, 1], [4, 4095, 0.4095], [4, 8191, 0.8191], [4, 10000, 1]]);
    for (let i = 0; i < 3; i++) expect(both.candidates[i + 3].bytes).toBeLessThan(both.candidates[i].bytes);
    expect([both.chosen.bits, both.chosen.kept]).toEqual([4, 4095]);
  });
});

describe('compressed table in the ONNX graph', () => {
  it.each([
    [500, 8, 60],
    [70000, 4, 20000],
  ] as const)('the graph computes the compressed table exactly as tableLogitsOf does (%i buckets, %i bits, %i rows)', async (buckets, bits, keep) => {
    const model = withWide(Encoder.create(CONFIG, 3), { buckets, maxN: 3, pooling: 'sqrt' });
    const t = model.params.get(WIDE_TABLE)!;
    // half the buckets unused (zero), the rest random
    t.assign(tf.tidy(() => tf.randomNormal(t.shape, 0, 1, 'float32', 9).mul(tf.randomUniform([t.shape[0], 1], 0, 1, 'float32', 4).greater(0.5).toFloat())));
    const full = t.dataSync() as Float32Array;
    const ngrams = textNgrams(TEXTS, { buckets, maxN: 3, pooling: 'sqrt' });
    // textNgrams agrees with the model's own table head
    for (const [i, ids] of TEXTS.entries()) {
      const ref = tf.tidy(() => tableLogits(model, { inputIds: tf.tensor2d([ids], [1, ids.length], 'int32'), attentionMask: tf.ones([1, ids.length], 'int32') as tf.Tensor2D }).dataSync());
      const mine = tableLogitsOf([ngrams[i]], full, 3);
      ref.forEach((x, j) => expect(mine[j]).toBeCloseTo(x, 5));
    }
    const c = compressTable(full, 3, keep, undefined, bits);
    const bytes = exportEncoder(model, { table: c, precision: int8Precision({ perChannel: false, embeddings: true, exclude: [] }) });
    const initializers = onnx.ModelProto.decode(bytes).graph!.initializer ?? [];
    expect(initializers.find((i) => i.name === `${WIDE_TABLE}_row_map`)?.dataType).toBe(onnx.TensorProto.DataType.UINT16);
    const blocks = Math.ceil(buckets / MAP_BLOCK);
    // the kept rows and each block's zero row; 4 bits: 3 labels in 2 bytes
    expect(initializers.find((i) => i.name === (bits === 8 ? `${WIDE_TABLE}_quantized` : `${WIDE_TABLE}_quantized_4bit`))?.dims?.map(Number)).toEqual([keep + blocks, bits === 8 ? 3 : 2]);
    // past one block, the texts reach kept rows of a later block: the block starts are exercised
    if (buckets > MAP_BLOCK) expect(ngrams.some((n) => Array.from(n.ids).some((id) => id >= MAP_BLOCK && c.map[id] > 0))).toBe(true);
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
