import * as tf from '@tensorflow/tfjs';
import { createLogger, WordPieceTokenizer } from '@distill/core';
import { classifierHead, DEFAULT_ENCODER, Encoder, predictLogits } from '@distill/model';
import { consistencyLoss, DistributionAlignment, dropoutPredictions, labelPrior, roundSample, selectPseudoLabels, selfTrain, udaPairs } from './semi-supervised';

const tokenizer = new WordPieceTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'体育财经科技汽车教新闻比赛股市'.split('')]);
const model = (dropout: number, seed = 1, initializerRange = 0.02) =>
  Encoder.create({ ...DEFAULT_ENCODER, vocabSize: tokenizer.size, numLabels: 3, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 16, hiddenDropout: dropout, attentionDropout: dropout, initializerRange }, seed);

describe('self-training: pseudo-label selection', () => {
  const texts = ['a', 'b', 'c', 'd', 'e'];
  const p = { label: Int32Array.from([0, 0, 0, 1, 2]), prob: Float32Array.from([0.9, 0.95, 0.6, 0.8, 0.99]), std: Float32Array.from([0.01, 0.2, 0, 0.05, 0.3]) };
  it('keeps texts at the confidence, the most certain and consistent first, at most per_class a label', () => {
    const rows = selectPseudoLabels(texts, p, { confidence: 0.7, per_class: 1 }, 3);
    // label 0: a (0.89) ranks above b (0.75); c is under the confidence
    expect(rows.map((r) => [r.text, r.label])).toEqual([['a', 0], ['d', 1], ['e', 2]]);
    expect(selectPseudoLabels(texts, p, { confidence: 0.7, per_class: 5 }, 3).map((r) => r.text)).toEqual(['a', 'd', 'b', 'e']);
    expect(selectPseudoLabels(texts, p, { confidence: 0.999, per_class: 5 }, 3)).toEqual([]);
  });

  it('dropout passes: without dropout every pass agrees (spread 0) and the label is the prediction', () => {
    const head = classifierHead(model(0));
    const texts2 = ['体育比赛', '股市财经', '汽车新闻科技'];
    const p0 = dropoutPredictions(head, tokenizer, texts2, 3, 7);
    const logits = predictLogits(head, tokenizer, texts2);
    texts2.forEach((_, i) => {
      const row = Array.from(logits.subarray(3 * i, 3 * i + 3));
      expect(p0.label[i]).toBe(row.indexOf(Math.max(...row)));
      expect(p0.std[i]).toBeLessThan(1e-4);
    });
    // with dropout the passes differ
    const p1 = dropoutPredictions(classifierHead(model(0.5)), tokenizer, texts2, 4, 7);
    expect(Math.max(...p1.std)).toBeGreaterThan(1e-3);
  });
});

describe('self-training: each round scores a sample of the unlabeled pool', () => {
  const pool = ['体育比赛', '股市财经', '汽车新闻', '科技新闻', '教育新闻', '比赛新闻'];
  it('draws size texts without replacement, seeded, in pool order; the whole pool when it is no larger', () => {
    const a = roundSample(pool, 3, 11);
    expect(a).toHaveLength(3);
    expect(new Set(a).size).toBe(3);
    expect(a.every((t) => pool.includes(t))).toBe(true);
    expect(a.map((t) => pool.indexOf(t))).toEqual([...a.map((t) => pool.indexOf(t))].sort((x, y) => x - y));
    expect(roundSample(pool, 3, 11)).toEqual(a);
    expect(new Set([11, 12, 13, 14, 15].map((seed) => roundSample(pool, 3, seed).join())).size).toBeGreaterThan(1);
    expect(roundSample(pool, 6, 11)).toBe(pool);
    expect(roundSample(pool, 10, 11)).toBe(pool);
  });

  it('labels only the sample of each round: with every text confident, a round adds sample texts, not the pool', async () => {
    const head = classifierHead(model(0));
    const labeled = [{ id: 'l0', text: '体育', label: 0 }];
    const seen: number[] = [];
    const trainOn = async (rows: readonly { id: string; text: string }[]) => (seen.push(rows.length - labeled.length), 0.5);
    const state = { snapshot: () => null, restore: () => undefined };
    const log = createLogger('self-training test');
    const o = { rounds: 2, confidence: 0, passes: 1, per_class: 100, epochs: 1 };
    await selfTrain({ ...o, sample: 2 }, head, tokenizer, labeled, pool, 0, trainOn, state, 5, log);
    expect(seen).toEqual([2, 2]);
    seen.length = 0;
    await selfTrain({ ...o, sample: 100 }, head, tokenizer, labeled, pool, 0, trainOn, state, 5, log);
    expect(seen).toEqual([6, 6]);
  });
});

describe('UDA: consistency between an unlabeled text and its variants', () => {
  it('pairs each original with its variants by origin_id, leaving out texts without one', () => {
    const head = classifierHead(model(0));
    const rows = ['体育比赛', '股市', '育比赛', '体育', '科技'].map((text, i) => ({ id: String(i), text, label: -1 }));
    const pairs = udaPairs(head, tokenizer, rows, ['u0', 'u1', 'u0', 'u0', 'u2'], ['original', 'original', 'delete', 'ngram', 'original']);
    expect(pairs).toHaveLength(1);
    expect(pairs[0].variants).toHaveLength(2);
    expect(pairs[0].original.ids).toEqual(tokenizer.encode('体育比赛', 16).ids);
  });

  it('is zero when a variant is its original, above zero when not, and counts only confident texts', () => {
    // large initial weights: predictions far from uniform
    const head = classifierHead(model(0, 3, 0.5));
    const enc = (t: string) => ({ index: 0, ids: tokenizer.encode(t, 16).ids });
    const same = [{ original: enc('体育比赛'), variants: [enc('体育比赛')] }];
    const other = [{ original: enc('体育比赛'), variants: [enc('股市财经科技')] }];
    const o = { weight: 1, confidence: 0, temperature: 1, batch_size: 4, align: false };
    const value = (pairs: typeof same, opts = o) => {
      const { loss, used } = consistencyLoss(head, pairs, opts, 5, tokenizer.padId);
      const v = loss.dataSync()[0];
      loss.dispose();
      return { v, used };
    };
    expect(value(same).v).toBeCloseTo(0, 5);
    expect(value(other).v).toBeGreaterThan(1e-4);
    expect(value(other, { ...o, confidence: 1 })).toEqual({ v: 0, used: 0 });
    // sharpening (temperature below 1) moves the target away from the model's own prediction
    expect(value(same, { ...o, temperature: 0.3 }).v).toBeGreaterThan(1e-4);
    // the gradient reaches the weights through the variant's prediction
    const grads = tf.variableGrads(() => consistencyLoss(head, other, o, 5, tokenizer.padId).loss);
    expect(Math.max(...Object.values(grads.grads).map((g) => g.abs().max().dataSync()[0]))).toBeGreaterThan(0);
  });
});

describe('distribution alignment', () => {
  it('divides the targets by the running mean prediction and multiplies by the prior: one label for every text is undone', () => {
    const prior = labelPrior([0, 1, 2, 2].map((label, i) => ({ id: String(i), text: '', label })), 3);
    expect(Array.from(prior)).toEqual([0.25, 0.25, 0.5]);
    const uniform = new DistributionAlignment(Float64Array.from([1 / 3, 1 / 3, 1 / 3]));
    const collapsed = [Float64Array.from([0.9, 0.05, 0.05]), Float64Array.from([0.9, 0.05, 0.05])];
    uniform.align(collapsed);
    for (const p of collapsed) for (const x of p) expect(x).toBeCloseTo(1 / 3, 10);
    // the running mean moves slowly: a later batch that agrees with the prior is barely changed
    const later = [Float64Array.from([0.2, 0.2, 0.6])];
    const a = new DistributionAlignment(Float64Array.from([0.2, 0.2, 0.6]), 0.99);
    a.align([Float64Array.from([0.2, 0.2, 0.6])]);
    a.align(later);
    expect(Array.from(later[0]).map((x) => +x.toFixed(6))).toEqual([0.2, 0.2, 0.6]);
  });
});
