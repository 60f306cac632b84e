import * as tf from '@tensorflow/tfjs';
import { createLogger, WordPieceTokenizer, type Example } from '@distill/core';
import { Encoder, WIDE_TABLE, type EncoderConfig } from './encoder';
import { withWide } from './wide';
import { NAIVE_BAYES_WEIGHTS, concatRows, fitWideNaiveBayes, foldOf, naiveBayesTable, wideRows, wideTableAccuracy } from './wide-naive-bayes';

const log = createLogger('test');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('naiveBayesTable', () => {
  it('is the centred smoothed log P(bucket | label) over the used buckets, 0 where no row counted', () => {
    // 3 buckets × 2 labels (row-major); bucket 2 unused
    const counts = Float64Array.of(3, 0, 1, 2, 0, 0);
    const alpha = 0.5;
    const table = naiveBayesTable(counts, 2, alpha);
    // label totals 4 and 2, 2 used buckets: log((n + α) / (total + 2α))
    const lp = (n: number, total: number) => Math.log((n + alpha) / (total + 2 * alpha));
    const row0 = [lp(3, 4), lp(0, 2)];
    const row1 = [lp(1, 4), lp(2, 2)];
    const centred = (r: number[]) => r.map((x) => x - (r[0] + r[1]) / 2);
    [...centred(row0), ...centred(row1), 0, 0].forEach((x, i) => expect(table[i]).toBeCloseTo(x, 6));
    expect(() => naiveBayesTable(counts, 2, 0)).toThrow(/smoothing must be > 0/);
  });
});

describe('concatRows', () => {
  it("puts b's rows after a's, offsets shifted", () => {
    const a = { offsets: Int32Array.of(0, 2, 3), ids: Int32Array.of(5, 6, 7) };
    const b = { offsets: Int32Array.of(0, 1, 1, 3), ids: Int32Array.of(8, 9, 10) };
    const c = concatRows(a, b);
    expect(Array.from(c.offsets)).toEqual([0, 2, 3, 4, 4, 6]);
    expect(Array.from(c.ids)).toEqual([5, 6, 7, 8, 9, 10]);
  });
});

describe('fitWideNaiveBayes', () => {
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'甲乙丙丁戊己庚辛'];
  const tokenizer = new WordPieceTokenizer(vocab);
  const config: EncoderConfig = {
    vocabSize: vocab.length, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 12, maxPositions: 12,
    typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 2, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.02, mlmHead: false,
  };
  const row = (id: number, text: string, label: number): Example => ({ id: String(id), text, label });
  // label 0 texts use 甲乙丙, label 1 texts 丁戊己; 庚 and 辛 only occur in valid
  const train = [row(0, '甲乙甲', 0), row(1, '乙丙', 0), row(2, '甲丙乙', 0), row(3, '丁戊', 1), row(4, '戊己丁', 1), row(5, '己己', 1)];
  const valid = [row(6, '甲乙庚', 0), row(7, '丁己辛', 1), row(8, '庚辛', 1)];

  it('scores valid with each smoothing, keeps the best, calibrates the scale, and leaves the other parameters alone', () => {
    const enc = withWide(Encoder.create(config, 1), { buckets: 64, maxN: 2, pooling: 'mean' });
    const before = enc.params.get('classifier.weight')!.arraySync();
    const r = fitWideNaiveBayes(enc, { tokenizer, train, valid, labels: ['a', 'b'] }, { alphas: [0.1, 1] }, log);
    expect(r.tried.map((t) => t.alpha)).toEqual([0.1, 1]);
    expect(r.valid_accuracy).toBe(Math.max(...r.tried.map((t) => t.valid_accuracy)));
    expect(r.scale).toBeGreaterThan(0);
    expect(enc.params.get('classifier.weight')!.arraySync()).toEqual(before);
    // the table separates the training rows; 庚辛 ([CLS] 庚 辛 [SEP]) only share [CLS]/[SEP] n-grams with train
    const table = enc.params.get(WIDE_TABLE)!.dataSync() as Float32Array;
    const rows = wideRows(enc, { tokenizer }, train.map((x) => x.text));
    expect(wideTableAccuracy(rows, Int32Array.from(train, (x) => x.label), table, 2)).toBe(1);
    enc.dispose();
  });

  it('never counts a valid row: n-grams only valid has stay out of the table', () => {
    const enc = withWide(Encoder.create(config, 1), { buckets: 64, maxN: 2, pooling: 'mean' });
    fitWideNaiveBayes(enc, { tokenizer, train, valid, labels: ['a', 'b'] }, { alphas: [0.5] }, log);
    const table = enc.params.get(WIDE_TABLE)!.dataSync() as Float32Array;
    const onlyValid = wideRows(enc, { tokenizer }, ['庚辛']);
    const trainIds = new Set(wideRows(enc, { tokenizer }, train.map((x) => x.text)).ids);
    const unseen = Array.from(onlyValid.ids).filter((b) => !trainIds.has(b));
    expect(unseen.length).toBeGreaterThan(0);
    for (const b of unseen) expect(Array.from(table.subarray(b * 2, b * 2 + 2))).toEqual([0, 0]);
    enc.dispose();
  });

  it('cross-fits: each training row gets logits from a table fitted without its fold', () => {
    // row 10 (庚庚) is the only one with 庚: a table that counted it votes for its label; one fitted without it cannot
    const rows = [...train, row(9, '甲丙丙', 0), row(10, '庚庚', 1), row(11, '丁丁戊', 1)];
    const enc = withWide(Encoder.create(config, 1), { buckets: 64, maxN: 2, pooling: 'mean' });
    const r = fitWideNaiveBayes(enc, { tokenizer, train: rows, valid, labels: ['a', 'b'] }, { alphas: [0.5], crossFit: { folds: 3, seed: 7 } }, log);
    expect(r.out_of_fold!.length).toBe(rows.length * 2);
    expect(r.out_of_fold_accuracy).toBeGreaterThanOrEqual(0);
    const full = new Float64Array(2);
    const table = Float32Array.from(enc.params.get(WIDE_TABLE)!.dataSync());
    const only = wideRows(enc, { tokenizer }, ['庚庚']);
    for (let k = only.offsets[0]; k < only.offsets[1]; k++) for (let c = 0; c < 2; c++) full[c] += table[only.ids[k] * 2 + c] / (only.offsets[1] - only.offsets[0]);
    const fullMargin = full[1] - full[0];
    const at = rows.findIndex((x) => x.id === '10');
    const oofMargin = r.out_of_fold![at * 2 + 1] - r.out_of_fold![at * 2];
    expect(fullMargin).toBeGreaterThan(0);
    expect(oofMargin).toBeLessThan(fullMargin / 2);
    enc.dispose();
  });

  it('deals rows into folds of equal size (±1), the same for the same seed', () => {
    const a = foldOf(10, 3, 5);
    expect(Array.from(foldOf(10, 3, 5))).toEqual(Array.from(a));
    const sizes = [0, 1, 2].map((k) => a.filter((f) => f === k).length);
    expect(sizes.sort()).toEqual([3, 3, 4]);
    expect(Array.from(foldOf(10, 3, 6))).not.toEqual(Array.from(a));
  });

  it('with logistic, adds a logistic-regression table at a naive Bayes weight chosen on valid', () => {
    const enc = withWide(Encoder.create(config, 1), { buckets: 64, maxN: 2, pooling: 'mean' });
    const r = fitWideNaiveBayes(enc, { tokenizer, train, valid, labels: ['a', 'b'] }, { alphas: [0.5], logistic: { c: 10, iterations: 50 } }, log);
    expect(NAIVE_BAYES_WEIGHTS).toContain(r.logistic!.naive_bayes_weight);
    expect(r.logistic!.iterations).toBeGreaterThan(0);
    const table = enc.params.get(WIDE_TABLE)!.dataSync() as Float32Array;
    // not the naive Bayes table alone: refit it without the regression and compare
    const nbOnly = withWide(Encoder.create(config, 1), { buckets: 64, maxN: 2, pooling: 'mean' });
    fitWideNaiveBayes(nbOnly, { tokenizer, train, valid, labels: ['a', 'b'] }, { alphas: [0.5] }, log);
    const other = nbOnly.params.get(WIDE_TABLE)!.dataSync() as Float32Array;
    expect(table.some((x, i) => Math.abs(x - other[i]) > 1e-4)).toBe(true);
    const rows = wideRows(enc, { tokenizer }, train.map((x) => x.text));
    expect(wideTableAccuracy(rows, Int32Array.from(train, (x) => x.label), table, 2)).toBe(1);
    [enc, nbOnly].forEach((e) => e.dispose());
  });

  it('counts teacher-labelled rows softly: one-hot at weight 1 is a gold row, [½, ½] at weight 2 one gold row per label', () => {
    const fitted = (rows: Example[], soft?: { texts: string[]; probs: number[]; weight: number }) => {
      const enc = withWide(Encoder.create(config, 1), { buckets: 64, maxN: 2, pooling: 'mean' });
      const r = fitWideNaiveBayes(enc, { tokenizer, train: rows, valid, labels: ['a', 'b'] }, { alphas: [0.5], ...(soft ? { soft: { texts: soft.texts, probs: Float32Array.from(soft.probs), weights: [soft.weight] } } : {}) }, log);
      const table = Float32Array.from(enc.params.get(WIDE_TABLE)!.dataSync());
      enc.dispose();
      return { r, table };
    };
    const hard = fitted([...train, row(9, '辛辛庚', 1)]);
    const oneHot = fitted(train, { texts: ['辛辛庚'], probs: [0, 1], weight: 1 });
    expect(oneHot.r.soft_weight).toBe(1);
    oneHot.table.forEach((x, i) => expect(x).toBeCloseTo(hard.table[i], 5));
    const both = fitted([...train, row(9, '辛庚', 0), row(10, '辛庚', 1)]);
    const half = fitted(train, { texts: ['辛庚'], probs: [0.5, 0.5], weight: 2 });
    half.table.forEach((x, i) => expect(x).toBeCloseTo(both.table[i], 5));
    // and the soft rows do change the table: 辛 is in no training row
    expect(oneHot.table.some((x, i) => Math.abs(x - fitted(train).table[i]) > 1e-3)).toBe(true);
  });

  it('chooses the soft rows\' weight with the smoothing on valid', () => {
    const enc = withWide(Encoder.create(config, 1), { buckets: 64, maxN: 2, pooling: 'mean' });
    // the teacher says 庚 and 辛 texts are label 1, as valid's 庚辛 is
    const soft = { texts: ['庚辛辛', '辛庚'], probs: Float32Array.of(0.1, 0.9, 0.2, 0.8), weights: [0, 1, 4] };
    const r = fitWideNaiveBayes(enc, { tokenizer, train, valid, labels: ['a', 'b'] }, { alphas: [0.1, 1], soft }, log);
    expect(r.tried.map((t) => [t.alpha, t.soft_weight])).toEqual([[0.1, 0], [0.1, 1], [0.1, 4], [1, 0], [1, 1], [1, 4]]);
    const best = r.tried.find((t) => t.alpha === r.alpha && t.soft_weight === r.soft_weight)!;
    expect(best.valid_accuracy).toBe(Math.max(...r.tried.map((t) => t.valid_accuracy)));
    expect(r.valid_accuracy).toBe(best.valid_accuracy);
    expect(r.soft_weight).toBeGreaterThan(0); // without the soft rows, 庚辛 has no n-gram that votes
    expect(() => fitWideNaiveBayes(enc, { tokenizer, train, valid, labels: ['a', 'b'] }, { alphas: [1], soft: { ...soft, probs: Float32Array.of(1, 0) } }, log)).toThrow(/2 probabilities for 2 rows × 2 labels/);
    enc.dispose();
  });

  it('needs single-label rows and valid rows to choose on', () => {
    const enc = withWide(Encoder.create(config, 1), { buckets: 64, maxN: 2, pooling: 'mean' });
    const data = { tokenizer, train: [...train, row(9, '甲', -1)], valid, labels: ['a', 'b'] };
    expect(() => fitWideNaiveBayes(enc, data, { alphas: [0.5] }, log)).toThrow(/train row 6 \(id 9\) has no single label/);
    expect(() => fitWideNaiveBayes(enc, { ...data, train, valid: [] }, { alphas: [0.5] }, log)).toThrow(/no valid rows|there are none/);
    enc.dispose();
  });
});
