import * as tf from '@tensorflow/tfjs';
import { WordPieceTokenizer, type Example } from '@distill/core';
import { Encoder, WIDE_TABLE, type EncoderConfig } from './encoder';
import { chooseEncoderWeight, mixHeadsOnValid } from './head-mix';
import { classifierHead, encoderOnlyHead, predictLogits } from './inference';
import { wideHead, withWide } from './wide';

describe('chooseEncoderWeight', () => {
  // two rows, two labels: the table gets row 0 right and row 1 wrong; the encoder the other way round, and louder
  const table = Float32Array.from([1, 0, 1, 0]);
  const deep = Float32Array.from([0, 0.5, 0, 3]);
  const gold = [0, 1];

  it('keeps the weight with the best valid accuracy, among ties the one closest to 1', () => {
    const mix = chooseEncoderWeight(table, deep, gold, 2, [0, 0.5, 1, 4]);
    // 0: [0, 0] right/wrong → 0.5; 0.5: row 0 1 vs .25 → 0, row 1 1 vs 1.5 → 1: both right; 1: row 0 1 vs .5 right, row 1 right; 4: row 0 wrong
    expect(mix.tried.map((t) => t.valid_accuracy)).toEqual([0.5, 1, 1, 0.5]);
    expect(mix.encoder_weight).toBe(1);
    expect(chooseEncoderWeight(table, deep, gold, 2, [0, 0.5, 4]).encoder_weight).toBe(0.5);
    expect(mix.valid_table).toBe(0.5);
    expect(mix.valid_as_trained).toBe(1);
  });

  it('keeps the table alone when the encoder only hurts', () => {
    expect(chooseEncoderWeight(Float32Array.from([1, 0, 0, 1]), Float32Array.from([0, 5, 5, 0]), [0, 1], 2, [0, 1]).encoder_weight).toBe(0);
  });
});

describe('mixHeadsOnValid', () => {
  it('folds the chosen weight into the classifier: the model then gives table + w · encoder', async () => {
    await tf.setBackend('cpu');
    const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'甲乙丙丁'];
    const tokenizer = new WordPieceTokenizer(vocab);
    const config: EncoderConfig = {
      vocabSize: vocab.length, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 12, maxPositions: 8,
      typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 2, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.5, mlmHead: false,
    };
    const enc = withWide(Encoder.create(config, 3), { buckets: 32, maxN: 2, pooling: 'mean' });
    const filled = tf.randomNormal([32, 2], 0, 1, 'float32', 5);
    enc.params.get(WIDE_TABLE)!.assign(filled);
    const valid: Example[] = ['甲乙', '丙丁', '甲丁', '乙丙'].map((text, i) => ({ id: String(i), text, label: i % 2 }));
    const texts = valid.map((r) => r.text);
    const table = predictLogits(wideHead(enc), tokenizer, texts);
    const deep = predictLogits(encoderOnlyHead(enc), tokenizer, texts);
    const mix = mixHeadsOnValid(enc, tokenizer, valid, [0.5]);
    expect(mix.encoder_weight).toBe(0.5);
    // each part alone and both as trained, on the same valid rows
    const acc = (l: Float32Array) => valid.filter((r, i) => (l[2 * i + 1] > l[2 * i] ? 1 : 0) === r.label).length / valid.length;
    expect(mix.components).toEqual({ table: acc(table), encoder: acc(deep), both: acc(table.map((x, i) => x + deep[i])) });
    const after = predictLogits(classifierHead(enc), tokenizer, texts);
    after.forEach((x, i) => expect(x).toBeCloseTo(table[i] + 0.5 * deep[i], 5));
    enc.dispose();
  });
});
